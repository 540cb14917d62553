// TRUST_PROXY: which reverse proxies in front of Tessera are believed about the client's address (issue #13,
// finding 6). A proxy appends the address of its peer to X-Forwarded-For; everything left of what our own proxies
// wrote was written by the client. So trust is a number of hops counted from the right, or the proxies' own
// addresses, never "the header" as a whole.
import { BlockList, isIP } from 'node:net';

export type TrustProxy =
  | { readonly kind: 'none' }
  /** this many proxies, each appending to X-Forwarded-For, stand between the clients and Tessera */
  | { readonly kind: 'hops'; readonly hops: number }
  /** a peer at one of these addresses is a proxy of ours, any other is a client */
  | { readonly kind: 'addresses'; readonly list: BlockList; readonly written: readonly string[] };

export const trustNoProxy: TrustProxy = Object.freeze({ kind: 'none' });

const maxHops = 10;

/** `::ffff:10.0.0.1` (an IPv4 peer of a dual-stack socket) is 10.0.0.1 */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * `false`/`0`/empty: no proxy (X-Forwarded-* ignored). `true`: one hop, as before hop counts existed. `1`…`10`: that
 * many hops. Otherwise a comma-separated list of proxy addresses or CIDR ranges (`10.0.0.0/8, ::1`).
 * @returns the setting, or the problem to report as a configuration error
 */
export function parseTrustProxy(value: string | undefined): { ok: true; value: TrustProxy } | { ok: false; problem: string } {
  const text = (value ?? '').trim().toLowerCase();
  if (['', 'false', 'no', '0'].includes(text)) return { ok: true, value: trustNoProxy };
  if (['true', 'yes'].includes(text)) return { ok: true, value: { kind: 'hops', hops: 1 } };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > maxHops) return { ok: false, problem: `a hop count is 1 to ${maxHops} (got ${text})` };
    return { ok: true, value: { kind: 'hops', hops } };
  }
  const list = new BlockList();
  const written: string[] = [];
  const bad: string[] = [];
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (!family || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) || Number(prefix ?? 0) > (family === 6 ? 128 : 32)) {
      bad.push(entry);
      continue;
    }
    if (prefix === undefined) list.addAddress(plainAddress(address!), isIP(plainAddress(address!)) === 6 ? 'ipv6' : 'ipv4');
    else list.addSubnet(address!, Number(prefix), type);
    written.push(entry);
  }
  if (bad.length || !written.length) {
    return { ok: false, problem: `must be true/false, a hop count (1–${maxHops}) or a comma-separated list of proxy IP addresses or CIDR ranges; not ${bad.length ? bad.map((b) => JSON.stringify(b)).join(', ') : JSON.stringify(value)}` };
  }
  return { ok: true, value: Object.freeze({ kind: 'addresses', list, written: Object.freeze(written) }) };
}

/** whether `address` is one of the trusted proxies of an address list */
export function isTrustedProxy(trust: TrustProxy, address: string): boolean {
  if (trust.kind !== 'addresses') return false;
  const plain = plainAddress(address);
  const family = isIP(plain);
  return family !== 0 && trust.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

/** for the start-up log and README: how the setting reads */
export function describeTrustProxy(trust: TrustProxy): string {
  if (trust.kind === 'none') return 'no proxy';
  if (trust.kind === 'hops') return `${trust.hops} proxy hop${trust.hops === 1 ? '' : 's'}`;
  return `proxies at ${trust.written.join(', ')}`;
}
