// mTLS from the relying party's side (RFC 8705): a `fetch` that presents a client certificate in the TLS handshake
// (openid-client's customFetch), the certificate's thumbprint and subject as a client registers them, and
// throwaway self-signed certificates made with the system's openssl. The TLS proxy in front of the deployment
// verifies the certificate and hands it to the provider in a header; nothing here depends on Tessera.
// Node's own fetch takes no client certificate (undici's Agent is not exported by Node and undici is no dependency
// of ours), so requests go through node:https, which also trusts NODE_EXTRA_CA_CERTS.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ClientCertificate { cert: string; key: string }

const run = promisify(execFile);

/**
 * `fetch` over https presenting `certificate` (or none: a request without a certificate). http URLs go to the
 * global fetch: a certificate only exists in a TLS handshake.
 */
export function fetchWithCertificate(certificate: ClientCertificate | undefined): typeof fetch {
  return fetchOverHttps(new Agent({ keepAlive: true, ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}) }));
}

/** `fetch` whose https requests go through `agent` (its CA, client certificate, keep-alive); http URLs to the global fetch */
export function fetchOverHttps(agent: Agent): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const request = new Request(input, init);
    if (new URL(request.url).protocol !== 'https:') return fetch(request);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    request.signal.throwIfAborted();
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpsRequest(request.url, { method: request.method, headers: Object.fromEntries(request.headers), agent }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
          }
          const status = incoming.statusCode ?? 502;
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers }));
        });
        incoming.on('error', reject);
      });
      const abort = () => outgoing.destroy(request.signal.reason as Error);
      request.signal.addEventListener('abort', abort, { once: true });
      outgoing.on('close', () => request.signal.removeEventListener('abort', abort));
      outgoing.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
      outgoing.end(body);
    });
  }) as typeof fetch;
}

/** RFC 8705 §3.1: the base64url SHA-256 of the certificate's DER, as `cnf.x5t#S256` carries it */
export function certificateThumbprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

/**
 * the certificate's subject as an RFC 4514 string (most specific first), for `tls_client_auth_subject_dn`; Node
 * already escapes the special characters of each value (`O=Acme\, Inc.`)
 */
export function subjectDn(pem: string): string {
  return new X509Certificate(pem).subject.split('\n').reverse().join(',');
}

/** the certificate's public key as a JWK with the certificate in `x5c`, for `self_signed_tls_client_auth` */
export function certificateJwk(pem: string): Record<string, unknown> {
  const certificate = new X509Certificate(pem);
  return { ...certificate.publicKey.export({ format: 'jwk' }), x5c: [certificate.raw.toString('base64')] };
}

/** the certificate's subject as openssl's -subj takes it (`/O=Acme/CN=client-a`) */
export function opensslSubject(pem: string): string {
  return new X509Certificate(pem).subject.split('\n').map((pair) => `/${pair.replace(/\\(.)/g, '$1').replace(/\//g, '\\/')}`).join('');
}

/**
 * A self-signed EC P-256 certificate valid for a day, made with openssl; `subject` as -subj takes it.
 * @throws Error when openssl is not installed (the checks that need one are skipped)
 */
export async function selfSignedCertificate(subject: string): Promise<ClientCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'conformance-cert-'));
  try {
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', subject]);
    const [cert, key] = await Promise.all([readFile(join(dir, 'cert.pem'), 'utf8'), readFile(join(dir, 'key.pem'), 'utf8')]);
    return { cert, key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
