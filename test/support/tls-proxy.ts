// An https deployment on this machine: a throwaway certificate authority (made with Debian's openssl), a server
// certificate it signs for localhost, and a Node https proxy that terminates TLS in front of a Tessera process,
// as nginx or a cloud load balancer would (Host kept, X-Forwarded-Proto/For added). `fetch` trusts the CA.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './tessera-process.js';

const run = promisify(execFile);

export interface TestCertificates { ca: string; key: string; cert: string }

/** a CA and a localhost/127.0.0.1 server certificate it signed, valid for a day */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-tls-'));
  try {
    const at = (name: string) => join(dir, name);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    await run('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.crt'), '-days', '1', '-subj', '/CN=Tessera test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await run('openssl', ['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=localhost']);
    await writeFile(at('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    await run('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-out', at('server.crt'), '-days', '1', '-extfile', at('server.ext')]);
    const [ca, key, cert] = await Promise.all([readFile(at('ca.crt'), 'utf8'), readFile(at('server.key'), 'utf8'), readFile(at('server.crt'), 'utf8')]);
    return { ca, key, cert };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** a TLS-terminating proxy on a free port: https://localhost:<port> → `upstream` (http) */
export async function startTlsProxy(certificates: TestCertificates, upstream: () => string) {
  const server: Server = createServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
    const target = new URL(req.url ?? '/', upstream());
    const forwarded = httpRequest(target, {
      // a connection per request: a kept-alive upstream socket that Tessera closes as it is reused would be a 502
      agent: false,
      method: req.method,
      headers: { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': req.socket.remoteAddress ?? '' },
    }, (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
    });
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forwarded);
  });
  // Clients close their idle connections first (undici after 4 s): a proxy closing them at Node's 5 s raced a request
  // on a loaded machine (a harness run failed once with "fetch failed" mid-plan).
  server.keepAliveTimeout = 65_000;
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `https://localhost:${port}`,
    port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** `fetch` over https that trusts only `ca` (openid-client's customFetch; Node's fetch takes no CA) */
export function fetchTrusting(ca: string): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const request = new Request(input, init);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpsRequest(request.url, { method: request.method, headers: Object.fromEntries(request.headers), ca }, (incoming) => {
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
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }) as typeof fetch;
}
