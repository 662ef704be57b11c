// Runs every check in order, handing each line out as soon as its check is done, and counts the
// failures. Every check runs whatever the ones before it found, so one run shows every problem.
import tls from 'node:tls';
import { checkDns } from './dns';
import { checkFrontPage, checkHealthz, checkReadyz, checkVersion } from './endpoints';
import { checkSecurityHeaders } from './headers';
import { checkRedirect } from './redirect';
import type { Target } from './request';
import { formatLine, type CheckResult } from '../check-result';
import type { DoctorOptions } from './options';
import { checkTls } from './tls';

/** What the checks need to know about the site, from the command line's options. */
export function targetFor(options: Omit<DoctorOptions, 'expectCommit'>): Target {
  return {
    url: options.url,
    // Node's own roots (and NODE_EXTRA_CA_CERTS), as for any HTTPS request, plus the one given.
    ca: [...defaultCertificates(), ...(options.ca ? [options.ca] : [])],
    httpPort: options.httpPort,
    timeoutMs: options.timeoutMs,
    verifyTls: true,
  };
}

/** getCACertificates is Node 22.15+; before it, the bundled roots are what HTTPS trusts. */
function defaultCertificates(): readonly string[] {
  const { getCACertificates } = tls as Partial<Pick<typeof tls, 'getCACertificates'>>;
  return getCACertificates ? getCACertificates('default') : tls.rootCertificates;
}

export async function runDoctor(
  options: DoctorOptions,
  print: (line: string) => void,
): Promise<{ checks: number; failed: number }> {
  let target = targetFor(options);
  let checks = 0;
  let failed = 0;
  const report = (results: CheckResult | CheckResult[]) => {
    for (const result of [results].flat()) {
      checks += 1;
      if (!result.ok) failed += 1;
      print(formatLine(result));
    }
  };

  report(await checkDns(target.url.hostname, { timeoutMs: target.timeoutMs }));
  const tls = await checkTls(target);
  report(tls);
  // The certificate's failure is said once, above; the checks below still look behind it.
  if (!tls.ok) target = { ...target, verifyTls: false };
  report(await checkRedirect(target));
  report(await checkFrontPage(target));
  report(await checkSecurityHeaders(target));
  report(await checkHealthz(target));
  report(await checkReadyz(target));
  report(await checkVersion(target, options.expectCommit));
  return { checks, failed };
}
