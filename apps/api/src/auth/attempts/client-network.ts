// The part of a client's address that its budget is kept under. One customer of an IPv6
// provider usually holds a whole /56 (RIPE-690 recommends /48 or /56 per site), so counting
// single IPv6 addresses would let one host rotate through 2^72 budgets.
import { isIPv6 } from 'node:net';

/** An IPv4 address as it is; an IPv6 address as its /56 network, `2001:db8:1234:5600::/56`. */
export function clientNetwork(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const groups = ipv6Groups(ip);
  // An IPv4 client of a dual-stack socket arrives as ::ffff:a.b.c.d: it is that IPv4 address.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return groups
      .slice(6)
      .flatMap((group) => [group >> 8, group & 0xff])
      .join('.');
  }
  const network = [...groups.slice(0, 3), (groups[3] ?? 0) & 0xff00];
  return `${network.map((group) => group.toString(16)).join(':')}::/56`;
}

/** The eight 16-bit groups of an IPv6 address, with `::` and a dotted IPv4 tail expanded. */
function ipv6Groups(ip: string): number[] {
  const [address = ''] = ip.split('%'); // a zone id (fe80::1%eth0) names an interface, not a host
  const parse = (part: string | undefined) =>
    part
      ? part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        })
      : [];
  const [head, tail] = address.split('::');
  const first = parse(head);
  const last = parse(tail);
  return [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last];
}
