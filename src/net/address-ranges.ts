// Which IP addresses a tenant-configured URL may reach under the `public-https` outbound policy: only globally
// routable unicast. Everything special-use is refused — loopback, private (RFC 1918, ULA), link-local (where
// cloud metadata services live: 169.254.169.254, fd00:ec2::254), shared/CGNAT (100.64/10, Alibaba's metadata
// 100.100.100.200), documentation, benchmarking, multicast, reserved — and the IPv6 forms that embed an IPv4
// address (IPv4-mapped and -compatible, NAT64, 6to4, Teredo), so no spelling of 127.0.0.1 gets through.
// Ranges from the IANA special-purpose address registries (RFC 6890 and updates).
import { BlockList, isIP } from 'node:net';

const ipv4 = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const;

const ipv6 = [
  // ::/96 holds ::, ::1 and the IPv4-compatible addresses; IPv4-mapped ::ffff:0:0/96 is checked against the IPv4 list
  ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['3fff::', 20], ['5f00::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const;

const special = new BlockList();
for (const [prefix, bits] of ipv4) special.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of ipv6) special.addSubnet(prefix, bits, 'ipv6');

/** a literal IPv4 or IPv6 address (brackets allowed) */
export function isIpLiteral(host: string): boolean {
  return isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0;
}

/** true only for a globally routable unicast address; anything that is not an IP address is false */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  if (family === 0) return false;
  if (family === 4) return !special.check(bare, 'ipv4');
  // BlockList checks an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against the IPv4 rules as well.
  return !special.check(bare, 'ipv6');
}
