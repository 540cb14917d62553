// Per-tenant signing algorithms: id_tokens and RFC 9068 access tokens signed ES256 or EdDSA when the tenant
// says so, verified by the relying party against the tenant's JWKS.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createUser, redirectUri, uniqueSlug } from '../support/fixtures.js';
import { codeFlow, discover, oidc } from '../support/relying-party.js';

describe('per-tenant signing algorithms', () => {
  const server = useTessera();

  for (const [idAlg, atAlg] of [['ES256', 'EdDSA'], ['EdDSA', 'ES256']] as const) {
    it(`signs id_tokens ${idAlg} and access tokens ${atAlg}`, async () => {
      const tenant = await cliJson<{ slug: string; issuer: string; id_token_alg: string; access_token_alg: string }>(server, [
        'tenant', 'create', uniqueSlug(), '--id-token-alg', idAlg, '--access-token-alg', atAlg,
      ]);
      assert.equal(tenant.id_token_alg, idAlg);
      assert.equal(tenant.access_token_alg, atAlg);
      const jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));

      const discovery = await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
      assert.ok(discovery.id_token_signing_alg_values_supported!.includes(idAlg));

      const user = await createUser(server, tenant.slug);
      const client = await createClient(server, tenant.slug, ['--first-party', '--grant', 'authorization_code', '--grant', 'client_credentials']);
      const config = await discover(tenant.issuer, client.client_id, client.client_secret!);

      const { tokens } = await codeFlow(config, redirectUri, user);
      assert.equal(jose.decodeProtectedHeader(tokens.id_token!).alg, idAlg);
      await jose.jwtVerify(tokens.id_token!, jwks, { issuer: tenant.issuer, audience: client.client_id, algorithms: [idAlg] });

      const machine = await oidc.clientCredentialsGrant(config);
      const header = jose.decodeProtectedHeader(machine.access_token);
      assert.equal(header.alg, atAlg);
      assert.equal(header.typ, 'at+jwt');
      await jose.jwtVerify(machine.access_token, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api`, algorithms: [atAlg], typ: 'at+jwt' });
    });
  }

  it('refuses an unsupported algorithm with a clear message and creates nothing', async () => {
    const slug = uniqueSlug();
    const result = await server.cli(['tenant', 'create', slug, '--id-token-alg', 'HS256']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /RS256, ES256 and EdDSA/);
    const list = await cliJson<{ slug: string }[]>(server, ['tenant', 'list']);
    assert.ok(!list.some((t) => t.slug === slug));
  });
});
