// Every request oidc-provider makes on a client's behalf (sector_identifier_uri, jwks_uri, back-channel logout)
// goes through here. `outboundRefusal` is the one check of where such a request may go: an installation-wide
// outbound guard can replace it without touching the provider configuration.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface OutboundPolicy {
  /** production: https only, and only to public addresses */
  readonly production: boolean;
}

// RFC 6890 special-use ranges: loopback, private, link-local, CGNAT, documentation, multicast, reserved. IPv4-mapped
// IPv6 addresses are checked as the IPv4 address they carry (a ::ffff:0:0/96 rule would match every IPv4 address).
const specialUse = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3]] as const) {
  specialUse.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 127], ['64:ff9b::', 96], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  specialUse.addSubnet(net, prefix, 'ipv6');
}

export function isSpecialUseAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4) return specialUse.check(address.slice(7), 'ipv4');
  return specialUse.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why a request to this URL is not allowed, or null. In production: https only, and every address the host
 * resolves to must be public. (The library's own connection check then refuses a host that resolves differently
 * at connect time, so a DNS answer that changes in between does not get through either.)
 */
export async function outboundRefusal(url: URL, policy: OutboundPolicy, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<string | null> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http(s) URLs are fetched';
  if (!policy.production) return null;
  if (url.protocol !== 'https:') return 'only https URLs are fetched in production';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return 'the host name does not resolve';
  }
  if (!addresses.length || addresses.some(isSpecialUseAddress)) return 'the host is not on a public address';
  return null;
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
}

/** the `fetch` of a tenant's provider: refused URLs fail like a network error (the library reports it as such) */
export function providerFetch(policy: OutboundPolicy & { allowPrivateNetwork: boolean }) {
  return async (input: Parameters<typeof fetch>[0], options?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const refusal = await outboundRefusal(url, policy);
    if (refusal) throw new TypeError(`outbound request refused: ${refusal}`);
    // oidc-provider passes a dispatcher that refuses special-use addresses at connect time; outside production
    // apps run on this machine, so the default dispatcher is used instead.
    return fetch(url, policy.allowPrivateNetwork ? { ...options, dispatcher: undefined } as RequestInit : options);
  };
}
