// An https deployment on this machine: a throwaway certificate authority (made with Debian's openssl), a server
// certificate it signs for localhost, and a Node https proxy that terminates TLS in front of a Tessera process,
// as nginx or a cloud load balancer would (Host kept, X-Forwarded-Proto/For added). `fetch` trusts the CA.
// With `mtls`, the proxy asks for an optional client certificate and passes it on as nginx does with
// `ssl_verify_client optional_no_ca`: the certificate URL-encoded ($ssl_client_escaped_cert) and whether the CA
// verified it ($ssl_client_verify: SUCCESS, FAILED:reason or NONE), overwriting whatever the client sent.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fetchOverHttps } from '../../src/conformance/client-certificates.js';
import { freePort } from './tessera-process.js';

const run = promisify(execFile);

export interface TestCertificates { ca: string; key: string; cert: string; client: { cert: string; key: string } }

/** a CA, a localhost/127.0.0.1 server certificate and a client certificate (CN=conformance-client) it signed, valid for a day */
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
    await run('openssl', ['req', ...ec, '-keyout', at('client.key'), '-out', at('client.csr'), '-subj', '/O=Tessera test/CN=conformance-client']);
    await writeFile(at('client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
    await run('openssl', ['x509', '-req', '-in', at('client.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-out', at('client.crt'), '-days', '1', '-extfile', at('client.ext')]);
    const [ca, key, cert, clientKey, clientCert] = await Promise.all(['ca.crt', 'server.key', 'server.crt', 'client.key', 'client.crt'].map((name) => readFile(at(name), 'utf8')));
    return { ca: ca!, key: key!, cert: cert!, client: { cert: clientCert!, key: clientKey! } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** the names of the headers the proxy passes the client certificate in (Tessera's MTLS_CERT_HEADER, MTLS_VERIFY_HEADER) */
export interface ClientCertificateHeaders { certHeader: string; verifyHeader: string }

/** the client certificate headers of one request, as nginx sets them */
function clientCertificateHeaders(socket: TLSSocket, names: ClientCertificateHeaders): Record<string, string> {
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  if (!raw) return { [names.verifyHeader]: 'NONE' };
  const pem = `-----BEGIN CERTIFICATE-----\n${raw.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  return { [names.certHeader]: encodeURIComponent(pem), [names.verifyHeader]: socket.authorized ? 'SUCCESS' : `FAILED:${String(socket.authorizationError)}` };
}

/**
 * a TLS-terminating proxy on a free port: https://localhost:<port> → `upstream` (http)
 * @param options.mtls ask for a client certificate (optional) and pass it on in these headers
 */
export async function startTlsProxy(certificates: TestCertificates, upstream: () => string, options: { mtls?: ClientCertificateHeaders } = {}) {
  const { mtls } = options;
  const tls = mtls ? { requestCert: true, rejectUnauthorized: false, ca: certificates.ca } : {};
  const server: Server = createServer({ key: certificates.key, cert: certificates.cert, ...tls }, (req, res) => {
    const target = new URL(req.url ?? '/', upstream());
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': req.socket.remoteAddress ?? '' };
    if (mtls) {
      delete headers[mtls.certHeader];
      delete headers[mtls.verifyHeader];
      Object.assign(headers, clientCertificateHeaders(req.socket as TLSSocket, mtls));
    }
    const forwarded = httpRequest(target, {
      // a connection per request: a kept-alive upstream socket that Tessera closes as it is reused would be a 502
      agent: false,
      method: req.method,
      headers,
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
  return fetchOverHttps(new HttpsAgent({ ca }));
}
