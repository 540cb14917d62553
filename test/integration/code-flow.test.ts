// The authorization code flow with PKCE end to end, through the hosted login form, as a relying party sees it.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { codeFlow, discover, oidc } from '../support/relying-party.js';

describe('authorization code + PKCE through the hosted login', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let client: { client_id: string; client_secret: string | null };
  let config: oidc.Configuration;

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug, { name: 'Ada Lovelace' });
    client = await createClient(server, tenant.slug, ['--first-party']);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
  });

  // at_hash is optional for the code flow's token endpoint (OIDC Core 3.1.3.6) and oidc-provider omits it.
  it('issues an id_token that openid-client validates (signature, iss, aud, nonce)', async () => {
    const { tokens } = await codeFlow(config, redirectUri, user);
    const claims = tokens.claims()!;
    assert.equal(claims.iss, tenant.issuer);
    assert.equal(claims.aud, client.client_id);
    assert.equal(claims.sub, user.id);
    // the granted scopes' claims are in the id_token too (OIDC Core 5.4 allows it; relying-party libraries read them there)
    assert.equal(claims.email, user.email);
    assert.equal(claims.name, 'Ada Lovelace');
    const header = jose.decodeProtectedHeader(tokens.id_token!);
    assert.equal(header.alg, 'RS256');
    const jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    await jose.jwtVerify(tokens.id_token!, jwks, { issuer: tenant.issuer, audience: client.client_id });
  });

  it('puts claims requested with the claims parameter into the id_token', async () => {
    const claimsParam = JSON.stringify({ id_token: { email: { essential: true }, name: null } });
    const { tokens } = await codeFlow(config, redirectUri, user, { params: { claims: claimsParam } });
    const claims = tokens.claims()!;
    assert.equal(claims.email, user.email);
    assert.equal(claims.name, 'Ada Lovelace');
  });

  it('checks auth_time against max_age', async () => {
    const { tokens } = await codeFlow(config, redirectUri, user, { params: { max_age: '300' }, maxAge: 300 });
    const { auth_time: authTime } = tokens.claims()!;
    assert.ok(typeof authTime === 'number' && Math.abs(authTime - Date.now() / 1000) < 60);
  });

  it('serves userinfo with the claims of the granted scopes', async () => {
    const { tokens } = await codeFlow(config, redirectUri, user, { params: { scope: 'openid email' } });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    assert.equal(info.email, user.email);
    assert.equal(info.email_verified, true);
    assert.equal(info.name, undefined, 'profile scope was not requested');
  });
});
