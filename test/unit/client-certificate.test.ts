// The client certificate headers are the TLS proxy's to set: from anyone else they are removed before any route
// reads them, and the configuration refuses a certificate header without a trusted proxy.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Context } from 'koa';
import { clientCertificateHeaders } from '../../src/http/client-certificate.js';
import { loadConfig } from '../../src/config/config.js';
import { parseTrustProxy, type TrustProxy } from '../../src/config/trust-proxy.js';

const trust = (value: string): TrustProxy => {
  const parsed = parseTrustProxy(value);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
};

async function headersSeen(trustProxy: TrustProxy, headers: Record<string, string>, peer = '10.0.0.5') {
  const ctx = { request: { headers: { ...headers } }, req: { socket: { remoteAddress: peer } } } as unknown as Context;
  let seen: Record<string, unknown> = {};
  await clientCertificateHeaders({ headers: ['x-ssl-client-cert', 'x-ssl-client-verify'], trustProxy })(ctx, async () => { seen = { ...ctx.request.headers }; });
  return seen;
}

describe('client certificate headers', () => {
  const sent = { 'x-ssl-client-cert': 'PEM', 'x-ssl-client-verify': 'SUCCESS', accept: 'application/json' };

  it('are removed from a request that did not come through a trusted proxy', async () => {
    assert.deepEqual(await headersSeen(trust('false'), sent), { accept: 'application/json' });
    // a proxy list that does not hold the peer: the peer is a client, whatever it sends
    assert.deepEqual(await headersSeen(trust('10.0.0.1'), sent, '10.0.0.5'), { accept: 'application/json' });
  });

  it('are kept from the trusted proxy', async () => {
    assert.deepEqual(await headersSeen(trust('1'), sent), sent);
    assert.deepEqual(await headersSeen(trust('10.0.0.0/24'), sent, '10.0.0.5'), sent);
  });

  it('need TRUST_PROXY in the configuration', () => {
    const secrets = { KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'), COOKIE_SECRETS: randomBytes(32).toString('base64url') };
    assert.throws(() => loadConfig({ ...secrets, MTLS_CERT_HEADER: 'x-ssl-client-cert' }), /MTLS_CERT_HEADER: needs TRUST_PROXY/);
    assert.throws(() => loadConfig({ ...secrets, TRUST_PROXY: 'true', MTLS_VERIFY_HEADER: 'x-ssl-client-verify' }), /MTLS_VERIFY_HEADER: needs MTLS_CERT_HEADER/);
    const config = loadConfig({ ...secrets, TRUST_PROXY: 'true', MTLS_CERT_HEADER: 'X-SSL-Client-Cert' });
    assert.deepEqual(config.mtls, { certHeader: 'x-ssl-client-cert', verifyHeader: undefined });
  });
});
