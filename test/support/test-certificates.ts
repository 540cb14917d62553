// Certificates for tests, made with the system's openssl: a self-signed server certificate for a local https
// stand-in (trusted by a Tessera process through NODE_EXTRA_CA_CERTS), and client certificates for mTLS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate { certFile: string; keyFile: string; cert: string; key: string }

/** a self-signed EC P-256 certificate; `san` as openssl writes it, e.g. `DNS:localhost,IP:127.0.0.1` */
export function selfSignedCertificate(subject: string, san?: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cert-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', subject, ...(san ? ['-addext', `subjectAltName=${san}`] : []),
  ], { stdio: 'ignore' });
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
