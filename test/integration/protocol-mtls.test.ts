// RFC 8705 mutual TLS behind a TLS proxy: the proxy verifies the client certificate and passes it in a header
// (MTLS_CERT_HEADER, its verification in MTLS_VERIFY_HEADER). This suite plays the proxy: openid-client's requests
// carry the headers a proxy would set. tls_client_auth (PKI, registered subject), self_signed_tls_client_auth
// (registered certificate) and certificate-bound access tokens (§3).
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant } from '../support/fixtures.js';
import { discover, oidc, refusal } from '../support/relying-party.js';
import { setProtocol } from '../support/protocol-profiles.js';
import { selfSignedCertificate, type TestCertificate } from '../support/test-certificates.js';

const certHeader = 'x-ssl-client-cert';
const verifyHeader = 'x-ssl-client-verify';
const acme = selfSignedCertificate('/O=Acme/CN=client-a', 'DNS:client-a.acme.test');
const other = selfSignedCertificate('/O=Acme/CN=client-b');

/** openid-client behind the proxy: every request carries the certificate (URL-encoded PEM) and the verification */
function throughProxy(config: oidc.Configuration, certificate: TestCertificate, verified: boolean) {
  config[oidc.customFetch] = (url, options) => fetch(url, {
    ...options,
    headers: { ...(options.headers as Record<string, string>), [certHeader]: encodeURIComponent(certificate.cert), ...(verified ? { [verifyHeader]: 'SUCCESS' } : {}) },
  } as RequestInit);
  return config;
}

describe('mutual TLS through the proxy (RFC 8705)', () => {
  const server = useTessera({ TRUST_PROXY: 'true', MTLS_CERT_HEADER: certHeader, MTLS_VERIFY_HEADER: verifyHeader });
  let tenant: { slug: string; issuer: string };

  const machine = (authMethod: string, metadata: Record<string, unknown>, extra: string[] = []) => cliJson<{ client_id: string }>(server, [
    'client', 'create', '--tenant', tenant.slug, '--name', authMethod, '--grant', 'client_credentials', '--auth-method', authMethod, '--metadata', JSON.stringify(metadata), ...extra,
  ]);
  const connect = async (clientId: string, certificate: TestCertificate, verified: boolean) =>
    throughProxy(await discover(tenant.issuer, clientId, undefined, oidc.TlsClientAuth()), certificate, verified);

  before(async () => {
    tenant = await createTenant(server);
  });

  it('is off until the tenant turns it on', async () => {
    const metadata = await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
    assert.ok(!metadata.token_endpoint_auth_methods_supported!.includes('tls_client_auth'));
    const refused = await server.cli(['client', 'create', '--tenant', tenant.slug, '--name', 'x', '--grant', 'client_credentials', '--auth-method', 'tls_client_auth', '--metadata', JSON.stringify({ tls_client_auth_subject_dn: 'CN=client-a,O=Acme' })]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /token_endpoint_auth_method|protocol\.mtls\.enabled/);
    const bound = await server.cli(['client', 'create', '--tenant', tenant.slug, '--name', 'x', '--grant', 'client_credentials', '--metadata', JSON.stringify({ tls_client_certificate_bound_access_tokens: true })]);
    assert.match(bound.stderr, /tls_client_certificate_bound_access_tokens needs the tenant's protocol\.mtls\.enabled/);
    await setProtocol(server, tenant.slug, { mtls: { enabled: true } });
    const after = await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.ok((after.token_endpoint_auth_methods_supported as string[]).includes('self_signed_tls_client_auth'));
    assert.equal(after.tls_client_certificate_bound_access_tokens, true);
  });

  it('tls_client_auth: a verified certificate with the registered subject DN authenticates', async () => {
    const client = await machine('tls_client_auth', { tls_client_auth_subject_dn: 'CN=client-a,O=Acme' });
    assert.ok((await oidc.clientCredentialsGrant(await connect(client.client_id, acme, true))).access_token);
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(await connect(client.client_id, other, true))), { error: 'invalid_client', status: 401 }, 'another subject');
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(await connect(client.client_id, acme, false))), { error: 'invalid_client', status: 401 }, 'not verified by the proxy');
  });

  it('tls_client_auth: a registered SAN DNS name matches the certificate', async () => {
    const client = await machine('tls_client_auth', { tls_client_auth_san_dns: 'client-a.acme.test' });
    assert.ok((await oidc.clientCredentialsGrant(await connect(client.client_id, acme, true))).access_token);
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(await connect(client.client_id, other, true))), { error: 'invalid_client', status: 401 });
  });

  it('self_signed_tls_client_auth: the registered certificate authenticates without CA verification; another does not', async () => {
    const der = new X509Certificate(acme.cert).raw.toString('base64');
    const jwk = { ...(await jose.exportJWK(await jose.importX509(acme.cert, 'ES256', { extractable: true }))), x5c: [der] };
    const client = await machine('self_signed_tls_client_auth', {}, ['--jwks', JSON.stringify({ keys: [jwk] })]);
    assert.ok((await oidc.clientCredentialsGrant(await connect(client.client_id, acme, false))).access_token);
    assert.deepEqual(await refusal(oidc.clientCredentialsGrant(await connect(client.client_id, other, false))), { error: 'invalid_client', status: 401 });
  });

  it('binds access tokens to the certificate (cnf x5t#S256) for a client that asks', async () => {
    const client = await machine('tls_client_auth', { tls_client_auth_subject_dn: 'CN=client-a,O=Acme', tls_client_certificate_bound_access_tokens: true });
    const config = await connect(client.client_id, acme, true);
    // the tenant's default API gets JWT access tokens (RFC 9068), so the binding is in the token itself
    const { access_token } = await oidc.clientCredentialsGrant(config);
    const thumbprint = createHash('sha256').update(new X509Certificate(acme.cert).raw).digest('base64url');
    assert.deepEqual(jose.decodeJwt(access_token).cnf, { 'x5t#S256': thumbprint });
    const unbound = await machine('tls_client_auth', { tls_client_auth_subject_dn: 'CN=client-a,O=Acme' });
    const plain = await oidc.clientCredentialsGrant(await connect(unbound.client_id, acme, true));
    assert.equal(jose.decodeJwt(plain.access_token).cnf, undefined, 'only for a client that registered for it');
  });
});
