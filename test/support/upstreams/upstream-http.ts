// What the upstream stand-ins (the identity providers Tessera signs users in with) share. Unlike the messaging
// vendors in ../vendors/ (JSON in, JSON out), these talk to browsers too: they redirect, answer forms and text.
// Each keeps `rejections` — requests the vendor would refuse or does not document — which tests assert is empty,
// so a malformed request fails the test even where Tessera would swallow the error.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamRejection { path: string; reason: string }

export interface UpstreamCall {
  method: string;
  /** the path without the query, still percent-encoded */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface UpstreamReply { status: number; headers?: Record<string, string>; body?: string }

/** Thrown by a handler: the request is not what the vendor documents; `reply` is the vendor's own answer to it. */
export class Refused extends Error {
  constructor(readonly reason: string, readonly reply: UpstreamReply) {
    super(reason);
  }
}

export interface Listening { url: string; close(): Promise<void> }

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): UpstreamReply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

export function formReply(status: number, fields: Record<string, string>): UpstreamReply {
  return { status, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(fields).toString() };
}

export function textReply(status: number, text: string): UpstreamReply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text };
}

/** 302 to `target` with `params` added to its query (undefined values left out, as a vendor leaves out a missing state) */
export function redirectReply(target: string, params: Record<string, string | undefined>): UpstreamReply {
  const location = new URL(target);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) location.searchParams.set(key, value);
  return { status: 302, headers: { location: location.href } };
}

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parameters as a plain record; a repeated key is reported, since OAuth (RFC 6749 §3.1, §3.2) forbids it. */
export function paramsOf(params: URLSearchParams): { params: Record<string, string>; repeated: string | null } {
  const out: Record<string, string> = {};
  let repeated: string | null = null;
  for (const [key, value] of params) {
    if (key in out) repeated ??= key;
    else out[key] = value;
  }
  return { params: out, repeated };
}

/** HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded before base64), or null. */
export function basicCredentials(authorization: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Listens on 127.0.0.1 on a free port. close() also drops keep-alive connections, so tests end promptly. */
export async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * A stand-in server whose `handle` gets each request fully read. Refused requests are answered with the vendor's
 * reply and kept in `rejections`; a crash is answered 500 and kept there too.
 */
export async function startUpstreamServer(handle: (call: UpstreamCall) => UpstreamReply | Promise<UpstreamReply>, rejections: UpstreamRejection[]): Promise<Listening> {
  const server = createServer((request, response) => {
    void readBody(request).then(async (body) => {
      const target = new URL(request.url ?? '/', 'http://stand-in');
      const call: UpstreamCall = { method: request.method ?? 'GET', path: target.pathname, query: target.searchParams, headers: request.headers, body };
      let reply: UpstreamReply;
      try {
        reply = await handle(call);
      } catch (error) {
        const refused = error instanceof Refused;
        rejections.push({ path: call.path, reason: refused ? error.reason : `stand-in crashed: ${String(error)}` });
        reply = refused ? error.reply : textReply(500, 'stand-in crashed');
      }
      const payload = reply.body ?? '';
      response.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(payload)) });
      response.end(payload);
    });
  });
  return listen(server);
}
