// Which budget a client's address is counted under (auth/attempts/client-network.ts).
import { describe, expect, it } from 'vitest';
import { clientNetwork } from '../src/auth/attempts/client-network';

describe('the network a client is counted under', () => {
  it('keeps an IPv4 address as it is, also when a dual-stack socket gives it as IPv6', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts every address of one IPv6 /56 as one client, and the next /56 apart', () => {
    const site = '2001:db8:1234:5600::/56';
    expect(clientNetwork('2001:db8:1234:5678::1')).toBe(site);
    expect(clientNetwork('2001:0db8:1234:56ff:abcd:ef01:2345:6789')).toBe(site);
    expect(clientNetwork('2001:db8:1234:5700::1')).toBe('2001:db8:1234:5700::/56');
  });

  it('reads the short forms of IPv6 and ignores a zone id', () => {
    expect(clientNetwork('::1')).toBe('0:0:0:0::/56');
    expect(clientNetwork('2001:db8::')).toBe('2001:db8:0:0::/56');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/56');
  });
});
