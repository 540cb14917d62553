// The REST auth API's built-in client (issue #16 §3, "no second token system"): a sign-in that names no app gets
// tokens of the tenant's built-in first-party client, a public client (token_endpoint_auth_method none), so its
// refresh token works at the tenant's standard token endpoint with client_id alone: rotated on every use, a replay
// revokes the family; it is introspected and revoked there by the client it belongs to. A tenant whose built-in
// client was made confidential by an earlier version gets it made public on first use.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { query } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';

interface Tokens { access_token: string; refresh_token: string }

describe('REST auth API: the built-in client\'s refresh tokens at the standard token endpoint', () => {
  const server = useTessera();

  async function restTenant() {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
    return tenant;
  }

  async function restLogin(issuer: string, user: { email: string; password: string }): Promise<Tokens> {
    const response = await fetch(`${issuer}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Tokens;
  }

  const form = (issuer: string, path: string, params: Record<string, string>) =>
    fetch(`${issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });

  let tenant: { slug: string; issuer: string };
  before(async () => {
    tenant = await restTenant();
  });

  it('a REST sign-in without an app: its refresh token rotates at {issuer}/token with client_id alone; a replay revokes the family', async () => {
    const { issuer } = tenant;
    const user = await createUser(server, tenant.slug);
    const tokens = await restLogin(issuer, user);
    const clientId = String(decodeJwt(tokens.access_token).client_id);
    assert.match(clientId, new RegExp(`^${tenant.slug}\\.`));

    const refreshed = await form(issuer, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    const next = (await refreshed.json()) as Tokens;
    assert.notEqual(next.refresh_token, tokens.refresh_token, 'rotated');
    const claims = decodeJwt(next.access_token);
    assert.deepEqual([claims.sub, claims.aud, claims.client_id], [user.id, 'tessera-rest', clientId]);
    // and back at the REST API: the rotated token is the same family's
    const viaRest = await fetch(`${issuer}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: next.refresh_token }) });
    assert.equal(viaRest.status, 200, await viaRest.clone().text());
    const third = (await viaRest.json()) as Tokens;

    // the first token again: a replay (the built-in client has no reuse interval), which revokes the family
    const replay = await form(issuer, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
    const dead = await form(issuer, '/token', { grant_type: 'refresh_token', refresh_token: third.refresh_token, client_id: clientId });
    assert.equal(((await dead.json()) as { error: string }).error, 'invalid_grant');
    // a secret is no way in: the client is public
    const withSecret = await form(issuer, '/token', { grant_type: 'refresh_token', refresh_token: third.refresh_token, client_id: clientId, client_secret: 'guess' });
    assert.equal(((await withSecret.json()) as { error: string }).error, 'invalid_client');
  });

  it('the refresh token is introspected and revoked at the standard endpoints by its client; another client learns nothing', async () => {
    const { issuer } = tenant;
    const user = await createUser(server, tenant.slug);
    const tokens = await restLogin(issuer, user);
    const clientId = String(decodeJwt(tokens.access_token).client_id);

    const introspect = async (params: Record<string, string>) => {
      const response = await form(issuer, '/token/introspection', { token: tokens.refresh_token, ...params });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as { active: boolean; sub?: string; client_id?: string; aud?: unknown };
    };
    const live = await introspect({ client_id: clientId });
    assert.deepEqual([live.active, live.sub, live.client_id], [true, user.id, clientId]);
    // a confidential client of the tenant (a resource server, say) sees only its own tokens (provider-config.ts allowedPolicy)
    const other = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', tenant.slug, '--name', 'Other', '--slug', 'other-introspector']);
    assert.equal((await introspect({ client_id: other.app_id, client_secret: other.app_secret })).active, false);

    const revoked = await form(issuer, '/token/revocation', { token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: clientId });
    assert.equal(revoked.status, 200);
    assert.equal((await introspect({ client_id: clientId })).active, false);
    const refresh = await fetch(`${issuer}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: tokens.refresh_token }) });
    assert.equal(((await refresh.json()) as { error: string }).error, 'token.invalid_refresh');
  });

  it('a built-in client an earlier version made confidential is made public on first use', async () => {
    const old = await restTenant();
    const [row] = await query<{ id: string }>(server.env.DATABASE_URL!, 'SELECT id FROM tenants WHERE slug = $1', [old.slug]);
    const clientId = `${old.slug}.${createHash('sha256').update(`tessera-rest\0${row!.id}`).digest('base64url').slice(0, 16)}`;
    const metadata = {
      client_name: 'REST auth API (built-in)', application_type: 'web', grant_types: ['refresh_token', 'urn:tessera:params:oauth:grant-type:login-transaction'],
      response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', first_party: true, refresh_token_reuse_interval: 0, headless: true, app_slug: 'tessera-rest',
    };
    await query(server.env.DATABASE_URL!, `INSERT INTO clients (tenant_id, client_id, name, metadata, sealed_secret, first_party, created_at, updated_at)
      VALUES ($1, $2, $3, $4, 'sealed-secret-nobody-kept', true, now(), now())`, [row!.id, clientId, metadata.client_name, JSON.stringify(metadata)]);

    const user = await createUser(server, old.slug);
    const tokens = await restLogin(old.issuer, user);
    assert.equal(decodeJwt(tokens.access_token).client_id, clientId, 'the same client, kept');
    const [stored] = await query<{ method: string; sealed: string | null }>(server.env.DATABASE_URL!,
      `SELECT metadata->>'token_endpoint_auth_method' AS method, sealed_secret AS sealed FROM clients WHERE client_id = $1`, [clientId]);
    assert.deepEqual(stored, { method: 'none', sealed: null });
    const refreshed = await form(old.issuer, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
  });
});
