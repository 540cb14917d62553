// The client's address, for every per-IP limit and every recorded IP (issue #13, finding 6). Read from the right of
// X-Forwarded-For: the socket peer first, then one entry to the left for each trusted proxy. What a client writes
// into the header sits left of everything our proxies appended, so it is never reached.
import { isIP } from 'node:net';
import type { Middleware } from 'koa';
import { isTrustedProxy, plainAddress, type TrustProxy } from '../config/trust-proxy.js';

/** the entries of (possibly repeated, comma-joined) X-Forwarded-For headers, left to right */
export function forwardedFor(header: string | string[] | undefined): string[] {
  const joined = Array.isArray(header) ? header.join(',') : header ?? '';
  return joined.split(',').map((s) => s.trim()).filter(Boolean);
}

/** whether the socket peer is a proxy we trust, so its forwarding headers mean something */
export function peerIsTrustedProxy(trust: TrustProxy, peer: string): boolean {
  return trust.kind === 'hops' ? trust.hops > 0 : isTrustedProxy(trust, peer);
}

/**
 * The address of the client: the socket peer, or with trusted proxies the rightmost X-Forwarded-For entry that is not
 * one of them (hop count: that many entries in from the right). An entry that is not an IP address (a client's
 * scribble reached only through a misconfiguration) is not taken: the address the last trusted hop saw is.
 */
export function clientAddress(trust: TrustProxy, peer: string, forwarded: readonly string[]): string {
  const chain = [...forwarded.map(plainAddress), plainAddress(peer)];
  let index = chain.length - 1;
  if (trust.kind === 'hops') index = Math.max(0, index - trust.hops);
  else if (trust.kind === 'addresses') while (index > 0 && isTrustedProxy(trust, chain[index]!)) index--;
  while (index < chain.length - 1 && !isIP(chain[index]!)) index++;
  return chain[index]!;
}

// the headers any proxy or load balancer adds on the way (RFC 7239, the de-facto X-Forwarded-*, nginx, HTTP Via)
const forwardingHeaders = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'];

/** 127.0.0.0/8 and ::1, as a dual-stack socket may write them */
export function isLoopback(address: string): boolean {
  const plain = plainAddress(address);
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

/**
 * Whether the request comes from this machine itself: a loopback peer, and no proxy on the way (a proxy on this
 * machine relays the network's requests from a loopback address, but announces itself with these headers).
 */
export function isLocalRequest(peer: string, headers: Readonly<Record<string, unknown>>): boolean {
  if (!isLoopback(peer)) return false;
  for (const name of forwardingHeaders) if (headers[name] !== undefined) return false;
  return true;
}

declare module 'koa' {
  interface DefaultState {
    /** set by clientAddressMiddleware: the request came straight from this machine (isLocalRequest) */
    localRequest?: boolean;
  }
}

/**
 * Sets ctx.ip (Koa's setter) once, before anything reads it, and drops X-Forwarded-For so that nothing downstream
 * (Koa's ctx.ips, a library) can read the client-written part of it. Notes whether the request is local first,
 * before the host guard rewrites the forwarding headers.
 */
export function clientAddressMiddleware(trust: TrustProxy): Middleware {
  // not async: it only acts before the rest of the stack, so it hands on next()'s promise instead of awaiting it
  return function setClientAddress(ctx, next) {
    const peer = ctx.req.socket.remoteAddress ?? '';
    const headers = ctx.request.headers;
    ctx.state.localRequest = isLocalRequest(peer, headers);
    ctx.request.ip = trust.kind === 'none' ? plainAddress(peer) : clientAddress(trust, peer, forwardedFor(headers['x-forwarded-for']));
    if (headers['x-forwarded-for'] !== undefined) delete headers['x-forwarded-for'];
    return next();
  };
}
