// A visitor who types the bare name arrives over plain HTTP: they must be sent on to HTTPS, to
// the same name and the same path, permanently, so the browser goes straight there next time.
import { fail, pass, type CheckResult } from '../check-result';
import { fetchAnswer, unreachable, type Target } from './request';

const NAME = 'HTTP → HTTPS redirect';
/** Any path will do; one with a query shows that the whole address is kept. */
const PROBE = '/doctor/redirect-probe?kept=1';

export async function checkRedirect(target: Target): Promise<CheckResult> {
  const from = new URL(PROBE, `http://${target.url.hostname}:${target.httpPort}`);
  const expected = new URL(PROBE, target.url);
  let answer;
  try {
    answer = await fetchAnswer(target, from);
  } catch (error) {
    const result = unreachable(NAME, from, error);
    return (error as { code?: unknown }).code === 'ECONNREFUSED'
      ? fail(
          NAME,
          result.detail,
          `publish port ${target.httpPort} on the web container (Caddy; HTTP_PORT in docker-compose.prod.yml) and open it in the firewall: Caddy redirects there, and Let's Encrypt's HTTP challenge needs it`,
        )
      : result;
  }

  const location = answer.headers.location;
  if (answer.status < 300 || answer.status > 399 || !location) {
    return fail(
      NAME,
      `${from.href} answered ${answer.status} instead of redirecting`,
      `let Caddy answer port ${target.httpPort}: DOMAIN must be the bare domain name (an http:// prefix turns automatic HTTPS and its redirect off), and nothing else may listen on that port`,
    );
  }
  const to = new URL(location, from);
  if (!leadsTo(to, expected)) {
    return fail(
      NAME,
      `${from.href} redirects to ${to.href}, not to ${expected.href}`,
      "redirect to https:// on the same host name and keep the path and query, as Caddy's automatic redirect does; remove any redir rule that sends elsewhere",
    );
  }
  if (answer.status !== 301 && answer.status !== 308) {
    return fail(
      NAME,
      `the redirect is temporary (${answer.status})`,
      "make it permanent (301 or 308, Caddy's automatic redirect sends 308) so browsers go straight to HTTPS next time",
    );
  }
  return pass(NAME, `${from.href} → ${answer.status} ${to.href}`);
}

/**
 * Same scheme, host name, path and query. The port may be the site's or the standard 443:
 * Caddy leaves its https_port out of the redirect, taking it to be where 443 is forwarded.
 */
function leadsTo(to: URL, expected: URL): boolean {
  return (
    to.protocol === 'https:' &&
    to.hostname === expected.hostname &&
    (to.port === expected.port || to.port === '') &&
    to.pathname === expected.pathname &&
    to.search === expected.search
  );
}
