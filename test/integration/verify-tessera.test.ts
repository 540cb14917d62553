// tessera/verify against a running Tessera issuing real tokens (issue #18 §2): a machine token (client
// credentials, RFC 8707 resource) and a user's token from the hosted sign-in verify to typed claims; the
// Express-style and node:http forms of requireAuth answer 200, 401 and 403 with RFC 6750 challenges; a token of
// another tenant with the same API identifier is refused. (The Koa form is rbac-guard.test.ts.)
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, createClient, createUser } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { openServices, signInForResources, tenantRef } from '../support/rbac-setup.js';
import { createVerifier, requireAuthFor, TokenVerificationError, type AccessTokenClaims } from '../../src/verify/index.js';
import type { Services } from '../../src/services.js';

const notes = 'https://notes.example.com';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('tessera/verify with tokens from a running Tessera', () => {
  const tessera = useTessera();
  let services: Services | undefined;
  const servers: Server[] = [];
  let issuer: string;
  let editorToken: string;
  let plainToken: string;
  let foreignToken: string;
  let editorId: string;
  let user: Awaited<ReturnType<typeof createUser>>;
  let web: oidc.Configuration;

  const machine = async (slug: string, tenantIssuer: string, roles: string[]) => {
    const client = await cliJson<{ client_id: string; client_secret: string }>(tessera, ['client', 'create', '--tenant', slug, '--name', 'Worker', '--grant', 'client_credentials']);
    if (roles.length) await services!.rbac.assignClientRoles(await tenantRef(services!, slug), client.client_id, roles);
    const config = await discover(tenantIssuer, client.client_id, client.client_secret);
    return { id: client.client_id, token: (await oidc.clientCredentialsGrant(config, { resource: notes })).access_token };
  };

  before(async () => {
    const tenant = await createTenant(tessera);
    const other = await createTenant(tessera);
    issuer = tenant.issuer;
    services = await openServices(tessera);
    for (const slug of [tenant.slug, other.slug]) {
      const ref = await tenantRef(services, slug);
      await services.rbac.createApi(ref, { identifier: notes, name: 'Notes', permissions: [{ name: 'read:notes' }, { name: 'write:notes' }] });
      await services.rbac.createRole(ref, { name: 'notes-editor', permissions: [{ api: notes, name: 'read:notes' }, { api: notes, name: 'write:notes' }] });
    }
    const editor = await machine(tenant.slug, tenant.issuer, ['notes-editor']);
    [editorId, editorToken] = [editor.id, editor.token];
    plainToken = (await machine(tenant.slug, tenant.issuer, [])).token;
    foreignToken = (await machine(other.slug, other.issuer, ['notes-editor'])).token;
    user = await createUser(tessera, tenant.slug);
    await services.rbac.assignUserRoles(await tenantRef(services, tenant.slug), user.id, ['notes-editor']);
    const webClient = await createClient(tessera, tenant.slug);
    web = await discover(tenant.issuer, webClient.client_id, webClient.client_secret!);
  });
  after(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await services?.close();
  });

  it('verifies a machine token to typed claims, and refuses one of another tenant', async () => {
    const { verify } = createVerifier({ issuer, audience: notes });
    const claims = await verify(editorToken);
    assert.equal(claims.sub, editorId);
    assert.equal(claims.client_id, editorId);
    assert.deepEqual([...claims.permissions].sort(), ['read:notes', 'write:notes']);
    await assert.rejects(verify(foreignToken), (error: unknown) => error instanceof TokenVerificationError && error.code === 'invalid_token');
    await assert.rejects(createVerifier({ issuer, audience: 'https://other.example.com' }).verify(editorToken), /aud/);
  });

  it("verifies a user's token from the hosted sign-in: subject, roles, permissions, amr", async () => {
    const tokens = await signInForResources(web, user, { resources: [notes], tokenResource: notes });
    const claims = await createVerifier({ issuer, audience: notes }).verify(tokens.access_token);
    assert.equal(claims.sub, user.id);
    assert.ok(claims.permissions.includes('read:notes'), JSON.stringify(claims));
    assert.deepEqual(claims.roles, ['notes-editor']);
    assert.deepEqual([...claims.permissions].sort(), ['read:notes', 'write:notes']);
    assert.equal(claims.client_id, (web as unknown as { clientMetadata(): { client_id: string } }).clientMetadata().client_id);
  });

  it('requireAuth answers alike in the Express-style and node:http forms', async () => {
    const guards = requireAuthFor(createVerifier({ issuer, audience: notes }));
    const express = guards.express({ permissions: ['write:notes'] });
    const expressApp = await listen((req, res) => express(req, res, () => res.end(JSON.stringify({ sub: (req as { auth?: AccessTokenClaims }).auth?.sub }))));
    const nodeApp = await listen(async (req, res) => {
      const claims = await guards.node(req, res, { permissions: ['write:notes'] });
      if (claims) res.end(JSON.stringify({ sub: claims.sub }));
    });
    servers.push(expressApp.server, nodeApp.server);
    for (const { url } of [expressApp, nodeApp]) {
      const call = (token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const ok = await call(editorToken);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { sub: editorId });
      const anonymous = await call();
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer', 'RFC 6750 §3.1: no error code without credentials');
      const foreign = await call(foreignToken);
      assert.equal(foreign.status, 401);
      assert.match(foreign.headers.get('www-authenticate')!, /^Bearer error="invalid_token", error_description="[^"]+"$/);
      const lacking = await call(plainToken);
      assert.equal(lacking.status, 403);
      assert.match(lacking.headers.get('www-authenticate')!, /^Bearer error="insufficient_scope", .*scope="write:notes"$/);
      assert.equal(((await lacking.json()) as { error: string }).error, 'insufficient_scope');
    }
  });
});
