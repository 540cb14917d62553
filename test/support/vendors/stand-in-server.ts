// What every vendor stand-in shares: a node:http server on 127.0.0.1:0 that hands each request, fully read, to
// the vendor's checker; keeps every rejection (with the reason, so a failing test says what the client got
// wrong); answers a queued failure instead of success for the next valid request; and can swallow a request
// without ever answering, for timeouts.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IncomingCall {
  method: string;
  /** the raw path, still percent-encoded */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply { status: number; json: unknown }

/** Thrown by a checker: the request is not what the vendor documents. `reply` is the vendor's own error answer. */
export class Rejected extends Error {
  constructor(readonly reason: string, readonly reply: Reply) {
    super(reason);
  }
}

export interface RejectionRecord { method: string; path: string; reason: string; status: number }

export interface StandInServer<F> {
  readonly url: string;
  /** requests the stand-in refused as not matching the vendor's documentation */
  readonly rejections: RejectionRecord[];
  /** the next valid request is answered with this failure instead of success (queue, first in first out) */
  failNext(failure: F): void;
  /** the next request is read but never answered (until close()) */
  hang(): void;
  close(): Promise<void>;
}

export interface StandInCore<F> {
  /** the failure queued for this (valid) request, if any */
  takeFailure(): F | undefined;
}

/**
 * @param check validates a request and returns the vendor's answer; throws Rejected for an invalid one.
 *   Rejections are also kept in `rejections`: tests assert it is empty, so a malformed request fails the test
 *   even where the client would swallow the error.
 */
export async function startStandInServer<F>(check: (call: IncomingCall, core: StandInCore<F>) => Reply | Promise<Reply>): Promise<StandInServer<F>> {
  const failures: F[] = [];
  const rejections: RejectionRecord[] = [];
  let hangs = 0;
  const core: StandInCore<F> = { takeFailure: () => failures.shift() };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (hangs > 0) {
        hangs -= 1;
        return;
      }
      const target = new URL(request.url ?? '/', 'http://stand-in');
      const call: IncomingCall = {
        method: request.method ?? 'GET',
        path: target.pathname,
        query: target.searchParams,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      Promise.resolve()
        .then(() => check(call, core))
        .then((reply) => send(response, reply), (error: unknown) => {
          if (error instanceof Rejected) {
            rejections.push({ method: call.method, path: call.path, reason: error.reason, status: error.reply.status });
            send(response, error.reply);
          } else {
            rejections.push({ method: call.method, path: call.path, reason: `stand-in crashed: ${String(error)}`, status: 500 });
            send(response, { status: 500, json: { error: 'stand-in crashed' } });
          }
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    rejections,
    failNext: (failure) => void failures.push(failure),
    hang: () => void (hangs += 1),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function send(response: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.json);
  response.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * A form body as a map, refusing what a strict reader would: repeated keys, and keys outside `allowed`
 * (PascalCase typos such as `to` would otherwise look like a missing field).
 */
export function readForm(body: string, allowed: readonly string[]): { fields: Map<string, string>; problem: string | null } {
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) {
    if (fields.has(key)) return { fields, problem: `parameter ${key} given twice` };
    if (!allowed.includes(key)) return { fields, problem: `unknown parameter ${key}` };
    fields.set(key, value);
  }
  return { fields, problem: null };
}

export const E164 = /^\+[1-9]\d{6,14}$/;
