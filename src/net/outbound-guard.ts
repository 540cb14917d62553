// The one gate for requests to addresses a tenant operator configures (SMS and WhatsApp vendors, SMTP, upstream
// identity providers). Under `public-https` — forced in production — a URL must be https and its host must
// resolve only to public addresses (address-ranges.ts). The address is checked at connect time, on the very
// answer the socket connects to, so a name that resolves to something public when the settings are saved and to
// 127.0.0.1 later (DNS rebinding) is still refused. `allow-private` (development and tests) lets http and
// loopback through so local stand-ins work; it is refused in production by loadConfig.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { connect as netConnect, type LookupFunction, type Socket } from 'node:net';
import { isIpLiteral, isPublicAddress } from './address-ranges.js';

export const outboundPolicies = ['public-https', 'allow-private'] as const;
export type OutboundPolicy = (typeof outboundPolicies)[number];

/** the request was not sent: the destination is not allowed by the policy. The message names no address. */
export class OutboundBlocked extends Error {
  readonly code = 'OUTBOUND_BLOCKED';
  constructor(message = 'the destination is not a public address') {
    super(message);
    this.name = 'OutboundBlocked';
  }
}

/** what a nodemailer `getSocket` hands back: an open socket, or false to let nodemailer connect itself */
type SmtpSocketCallback = (error: Error | null, socket?: { connection: Socket } | false) => void;

export interface OutboundGuard {
  readonly policy: OutboundPolicy;
  /**
   * A problem with a configured URL under this policy (scheme, a literal address, a localhost name), or null.
   * Names that need DNS are checked when connecting.
   */
  urlProblem(url: string, schemes?: readonly string[]): string | null;
  /** fetch() through the guard; redirects are not followed (a followed redirect would escape the URL check) */
  fetch: typeof fetch;
  /** nodemailer's `getSocket` option: the SMTP connection opened through the guard */
  smtpSocket(options: { host?: string; port?: number; secure?: boolean; connectionTimeout?: number }, callback: SmtpSocketCallback): void;
}

// RFC 6761 §6.3: localhost and its subdomains are loopback whatever DNS says; a trailing dot is the same name
const isLocalName = (host: string) => /(^|\.)localhost\.?$/.test(host);

/** dns.lookup that refuses a name if any of its addresses is not public (all are checked: any could be dialled) */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (!addresses.length || addresses.some((a) => !isPublicAddress(a.address))) return callback(new OutboundBlocked(), '', 0);
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/** the undici Agent behind Node's own fetch (Node bundles undici; oidc-provider's fetch_request.js does the same) */
function undiciAgent(): new (options: object) => object {
  void globalThis.Response; // loads Node's bundled undici, which installs its global dispatcher
  const dispatcher = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as object | undefined;
  if (!dispatcher) throw new Error('no undici dispatcher in this Node.js: the outbound guard cannot check addresses');
  return dispatcher.constructor as new (options: object) => object;
}

export function createOutboundGuard(policy: OutboundPolicy): OutboundGuard {
  const strict = policy === 'public-https';
  // One connection pool whose every socket resolves through publicOnlyLookup.
  const dispatcher = strict ? new (undiciAgent())({ connect: { lookup: publicOnlyLookup } }) : undefined;

  const urlProblem = (url: string, schemes?: readonly string[]) => outboundUrlProblem(policy, url, schemes);

  const guardedFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    // A literal address is dialled without a lookup: check it here.
    if (urlProblem(url)) throw new TypeError('fetch failed', { cause: new OutboundBlocked() });
    return fetch(input, { ...init, redirect: 'manual', ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
  }) as typeof fetch;

  return {
    policy,
    urlProblem,
    fetch: guardedFetch,
    smtpSocket(options, callback) {
      if (!strict) return setImmediate(() => callback(null, false));
      const host = (options.host ?? '').toLowerCase();
      if (!host || isLocalName(host) || (isIpLiteral(host) && !isPublicAddress(host))) return setImmediate(() => callback(new OutboundBlocked()));
      const socket = netConnect({ host, port: options.port ?? (options.secure ? 465 : 587), lookup: publicOnlyLookup, timeout: options.connectionTimeout ?? 10_000 });
      const fail = (error: Error) => {
        socket.destroy();
        callback(error);
      };
      socket.once('error', fail);
      socket.once('timeout', () => fail(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' })));
      socket.once('connect', () => {
        socket.removeListener('error', fail);
        socket.setTimeout(0);
        socket.removeAllListeners('timeout');
        callback(null, { connection: socket });
      });
    },
  };
}

/**
 * A problem with a configured URL under `policy` (scheme, a literal non-public address, a localhost name), or
 * null. Settings validation uses it; names that need DNS are checked when connecting.
 */
export function outboundUrlProblem(policy: OutboundPolicy, url: string, schemes: readonly string[] = ['https:']): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (policy !== 'public-https') return null;
  if (!schemes.includes(parsed.protocol)) return `must use ${schemes.map((s) => s.replace(/:$/, '')).join(' or ')}`;
  const host = parsed.hostname.toLowerCase();
  if (isLocalName(host) || (isIpLiteral(host) && !isPublicAddress(host))) return 'must be a public address';
  return null;
}
