// Discovery (OpenID Connect Discovery 1.0 §3–4) and the JWKS of a tenant, as a relying party reads them,
// plus the requests that must never reach the provider: unknown tenants and hosts other than PUBLIC_URL.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant } from '../support/fixtures.js';
import { discover } from '../support/relying-party.js';

interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** a GET with exactly the Host header given (fetch would replace it) */
function rawGet(port: number, path: string, host: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { accept: 'application/json', ...headers, host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('discovery and JWKS', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let metadata: Record<string, unknown>;

  before(async () => {
    tenant = await createTenant(server);
    const response = await fetch(`${tenant.issuer}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    metadata = (await response.json()) as Record<string, unknown>;
  });

  it('names the tenant issuer {PUBLIC_URL}/t/{slug} and puts every endpoint under it', () => {
    assert.equal(tenant.issuer, `${server.env.PUBLIC_URL}/t/${tenant.slug}`);
    assert.equal(metadata.issuer, tenant.issuer);
    const endpoints = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint'];
    for (const name of endpoints) {
      assert.equal(typeof metadata[name], 'string', `${name} is published`);
      assert.ok((metadata[name] as string).startsWith(`${tenant.issuer}/`), `${name} = ${String(metadata[name])} is under the issuer`);
    }
    for (const [name, value] of Object.entries(metadata)) {
      if (name.endsWith('_endpoint') || name.endsWith('_uri')) assert.ok(String(value).startsWith(`${tenant.issuer}/`), `${name} is under the issuer`);
    }
  });

  it('offers only the code flow with S256 PKCE (RFC 9700 §2.1.1, §2.1.2)', () => {
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual([...(metadata.grant_types_supported as string[])].sort(), ['authorization_code', 'client_credentials', 'refresh_token']);
  });

  it('publishes client authentication methods, scopes, the claims parameter and signing algorithms', () => {
    assert.deepEqual([...(metadata.token_endpoint_auth_methods_supported as string[])].sort(), ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'none', 'private_key_jwt']);
    assert.deepEqual([...(metadata.scopes_supported as string[])].sort(), ['address', 'email', 'offline_access', 'openid', 'phone', 'profile', 'roles']);
    assert.equal(metadata.claims_parameter_supported, true);
    assert.equal(metadata.backchannel_logout_supported, true, 'OpenID Back-Channel Logout (issue #6)');
    const algs = metadata.id_token_signing_alg_values_supported as string[];
    for (const alg of ['RS256', 'ES256', 'EdDSA']) assert.ok(algs.includes(alg), `id_token alg ${alg}`);
    assert.ok(!algs.includes('none') && !algs.some((alg) => alg.startsWith('HS')), 'no unsigned or symmetric id_tokens');
    const claims = metadata.claims_supported as string[];
    for (const claim of ['sub', 'name', 'email', 'email_verified', 'phone_number', 'address']) assert.ok(claims.includes(claim), `claim ${claim}`);
  });

  it('is what openid-client discovers for a client of the tenant', async () => {
    const client = await createClient(server, tenant.slug);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const seen = config.serverMetadata();
    assert.equal(seen.issuer, tenant.issuer);
    assert.equal(seen.token_endpoint, metadata.token_endpoint);
    assert.equal(seen.supportsPKCE(), true);
  });

  it('serves public keys only, one per algorithm, each with kid, alg and use', async () => {
    const response = await fetch(metadata.jwks_uri as string);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/(jwk-set\+)?json/);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    assert.equal(keys.length, 3);
    for (const key of keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[secret], undefined, `no private member "${secret}" in ${String(key.kid)}`);
      assert.equal(typeof key.kid, 'string');
      assert.ok((key.kid as string).length > 0);
      assert.equal(key.use, 'sig');
    }
    const byAlg = Object.fromEntries(keys.map((key) => [key.alg, key]));
    assert.deepEqual(Object.keys(byAlg).sort(), ['ES256', 'EdDSA', 'RS256']);
    assert.equal(byAlg.RS256!.kty, 'RSA');
    assert.equal(byAlg.ES256!.kty, 'EC');
    assert.equal(byAlg.ES256!.crv, 'P-256');
    assert.equal(byAlg.EdDSA!.kty, 'OKP');
    assert.equal(byAlg.EdDSA!.crv, 'Ed25519');
    assert.equal(new Set(keys.map((key) => key.kid)).size, 3, 'kids are distinct');
  });

  it('gives every tenant its own keys', async () => {
    const other = await createTenant(server);
    const kids = async (issuer: string) => ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const [mine, theirs] = await Promise.all([kids(tenant.issuer), kids(other.issuer)]);
    assert.deepEqual(mine.filter((kid) => theirs.includes(kid)), []);
  });

  it('answers an unknown tenant with 404 JSON tenant.not_found', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/token']) {
      const response = await fetch(`${server.url}/t/no-such-tenant${path}`, { headers: { accept: 'application/json' } });
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await response.json()) as { error: string; message: string };
      assert.equal(body.error, 'tenant.not_found');
      assert.equal(typeof body.message, 'string');
    }
    const invalidSlug = await fetch(`${server.url}/t/UPPER%20case/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
    assert.equal(invalidSlug.status, 404);
    assert.equal(((await invalidSlug.json()) as { error: string }).error, 'tenant.not_found');
  });

  describe('Host header', () => {
    const path = () => `/t/${tenant.slug}/.well-known/openid-configuration`;

    it('serves discovery for the PUBLIC_URL host', async () => {
      const response = await rawGet(server.port, path(), new URL(server.env.PUBLIC_URL!).host);
      assert.equal(response.status, 200);
      assert.equal((JSON.parse(response.body) as { issuer: string }).issuer, tenant.issuer);
    });

    it('refuses a foreign host with a 4xx and never reflects it', async () => {
      const response = await rawGet(server.port, path(), 'evil.example');
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      assert.ok(!response.body.includes('evil.example'), response.body);
      assert.ok(!JSON.stringify(response.headers).includes('evil.example'));
    });

    it('refuses a malformed host (`127.0.0.1 127.0.0.1`) with a 4xx, not a 500', async () => {
      const response = await rawGet(server.port, path(), '127.0.0.1 127.0.0.1');
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      assert.ok(!response.body.includes('127.0.0.1 127.0.0.1'), response.body);
    });

    it('refuses a foreign host on every protocol endpoint, not only discovery', async () => {
      for (const suffix of ['/jwks', '/auth?client_id=x', '/session/end']) {
        const response = await rawGet(server.port, `/t/${tenant.slug}${suffix}`, 'evil.example');
        assert.ok(response.status >= 400 && response.status < 500, `${suffix}: status ${response.status}`);
        assert.ok(!response.body.includes('evil.example'), `${suffix}: ${response.body}`);
      }
    });

    it('ignores X-Forwarded-Host from a client when no proxy is trusted', async () => {
      const response = await rawGet(server.port, path(), new URL(server.env.PUBLIC_URL!).host, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
      assert.equal(response.status, 200);
      assert.ok(!response.body.includes('evil.example'), 'forwarded host not copied into discovery');
      assert.equal((JSON.parse(response.body) as { issuer: string }).issuer, tenant.issuer);
    });
  });
});
