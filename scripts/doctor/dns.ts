// Does the name point somewhere? A real domain is asked of DNS itself (A and AAAA records), not
// of the hosts file, because DNS is what every visitor's browser asks. Names under localhost
// never reach DNS: the operating system answers them, so they are looked up as a program would.
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { fail, pass, type CheckResult } from '../check-result';

const NAME = 'DNS';

export interface DnsOptions {
  timeoutMs: number;
  /** DNS servers to ask instead of the system's (host or host:port). */
  servers?: string[];
}

export async function checkDns(host: string, options: DnsOptions): Promise<CheckResult> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return pass(NAME, `${bare} is an address: nothing to resolve`);
  if (bare === 'localhost' || bare.endsWith('.localhost')) return lookupLocal(bare, options);

  const resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 });
  if (options.servers) resolver.setServers(options.servers);
  const [a, aaaa] = await Promise.allSettled([resolver.resolve4(bare), resolver.resolve6(bare)]);
  const v4 = a.status === 'fulfilled' ? a.value : [];
  const v6 = aaaa.status === 'fulfilled' ? aaaa.value : [];
  if (v4.length + v6.length > 0) {
    const records = [
      v4.length > 0 && `A ${v4.join(', ')}`,
      v6.length > 0 && `AAAA ${v6.join(', ')}`,
    ];
    return pass(NAME, `${bare} → ${records.filter(Boolean).join('; ')}`);
  }
  const reason = a.status === 'rejected' ? errorCode(a.reason) : 'no A record';
  if (reason === 'ETIMEOUT' || reason === 'ECONNREFUSED') {
    return fail(
      NAME,
      `no DNS server answered for ${bare} (${reason})`,
      "check this machine's network and DNS settings (/etc/resolv.conf), then run again",
    );
  }
  return fail(
    NAME,
    `${bare} has no A or AAAA record (${reason})`,
    `at your DNS provider, add an A record for ${bare} with the server's public IPv4 address (and AAAA for IPv6); a new record can take up to its TTL to be seen everywhere`,
  );
}

async function lookupLocal(host: string, { timeoutMs }: DnsOptions): Promise<CheckResult> {
  try {
    // dns.lookup has no timeout of its own: the operating system's resolver decides.
    const found = await Promise.race([
      lookup(host, { all: true }),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
          timeoutMs,
        ).unref(),
      ),
    ]);
    return pass(
      NAME,
      `${host} → ${found.map((f) => f.address).join(', ')} (from the system, not DNS)`,
    );
  } catch (error) {
    return fail(
      NAME,
      `${host} does not resolve on this machine (${errorCode(error)})`,
      `add "127.0.0.1 ${host}" to /etc/hosts`,
    );
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
