// tessera/verify against a running Tessera issuing real tokens (issue #18 §2): a machine token (client
// credentials, RFC 8707 resource) and a user's token from the hosted sign-in verify to typed claims; requireAuth
// mounted in a real Express app and on plain node:http answers alike — 200, 401 and 403 with RFC 6750 challenges —
// for each kind of requirement (permissions, roles, scopes); a token of another tenant with the same API identifier
// is refused. (The Koa form is rbac-guard.test.ts.)
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, createClient, createUser } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { openServices, signInForResources, tenantRef } from '../support/rbac-setup.js';
import { createVerifier, requireAuthFor, TokenVerificationError, type Requirements } from '../../src/verify/index.js';
import type { Services } from '../../src/services.js';

const notes = 'https://notes.example.com';
const ACR_SINGLE = 'urn:tessera:acr:1fa';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const call = (url: string, token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('tessera/verify with tokens from a running Tessera', () => {
  const tessera = useTessera();
  let services: Services | undefined;
  const servers: Server[] = [];
  let issuer: string;
  let editorToken: string;
  let plainToken: string;
  let foreignToken: string;
  let scopedToken: string;
  let userToken: string;
  let editorId: string;
  let user: Awaited<ReturnType<typeof createUser>>;
  let web: oidc.Configuration;

  /** a worker's client_credentials token for the notes API, with the client's roles and, when given, `scope` */
  const machine = async (slug: string, tenantIssuer: string, roles: string[], scope?: string) => {
    const client = await cliJson<{ client_id: string; client_secret: string }>(tessera, ['client', 'create', '--tenant', slug, '--name', 'Worker', '--grant', 'client_credentials', ...(scope ? ['--scope', scope] : [])]);
    if (roles.length) await services!.rbac.assignClientRoles(await tenantRef(services!, slug), client.client_id, roles);
    const config = await discover(tenantIssuer, client.client_id, client.client_secret);
    return { id: client.client_id, token: (await oidc.clientCredentialsGrant(config, { resource: notes, ...(scope ? { scope } : {}) })).access_token };
  };

  /** `required` guarding a route of a real Express app and of a plain node:http server; both answer the caller's sub */
  const guarded = async (required: Requirements) => {
    const guards = requireAuthFor(createVerifier({ issuer, audience: notes }));
    const app = express();
    app.get('/notes', guards.express(required), (req, res) => { res.json({ sub: (req as { auth?: { sub: string } }).auth?.sub }); });
    const expressApp = await new Promise<{ server: Server; url: string }>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notes` }));
    });
    const nodeApp = await listen(async (req, res) => {
      const claims = await guards.node(req, res, required);
      if (claims) res.end(JSON.stringify({ sub: claims.sub }));
    });
    servers.push(expressApp.server, nodeApp.server);
    return [{ form: 'Express', url: expressApp.url }, { form: 'node:http', url: nodeApp.url }];
  };

  /** every form lets `token` through as `sub` */
  const allowed = async (forms: Array<{ form: string; url: string }>, token: string, sub: string) => {
    for (const { form, url } of forms) {
      const ok = await call(url, token);
      assert.equal(ok.status, 200, form);
      assert.deepEqual(await ok.json(), { sub }, form);
    }
  };

  /** every form refuses `token` with 403 insufficient_scope (RFC 6750 §3.1), saying what it lacks */
  const refused = async (forms: Array<{ form: string; url: string }>, token: string, lacks: string, scopeParam?: string) => {
    for (const { form, url } of forms) {
      const answer = await call(url, token);
      assert.equal(answer.status, 403, form);
      const description = `The access token lacks ${lacks}.`;
      assert.equal(answer.headers.get('www-authenticate'),
        `Bearer error="insufficient_scope", error_description="${description}"${scopeParam ? `, scope="${scopeParam}"` : ''}`, form);
      assert.deepEqual(await answer.json(), { error: 'insufficient_scope', message: description }, form);
    }
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
    scopedToken = (await machine(tenant.slug, tenant.issuer, [], 'read:notes')).token;
    user = await createUser(tessera, tenant.slug);
    await services.rbac.assignUserRoles(await tenantRef(services, tenant.slug), user.id, ['notes-editor']);
    const webClient = await createClient(tessera, tenant.slug);
    web = await discover(tenant.issuer, webClient.client_id, webClient.client_secret!);
    userToken = (await signInForResources(web, user, { resources: [notes], tokenResource: notes })).access_token;
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
    const claims = await createVerifier({ issuer, audience: notes }).verify(userToken);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.roles, ['notes-editor']);
    assert.deepEqual([...claims.permissions].sort(), ['read:notes', 'write:notes']);
    assert.equal(claims.client_id, (web as unknown as { clientMetadata(): { client_id: string } }).clientMetadata().client_id);
    // a password sign-in: one factor (RFC 8176), as the id_token says (access-token-sign-in.test.ts has the second factor)
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, ACR_SINGLE);
    assert.equal(typeof claims.auth_time, 'number');
  });

  it('requireAuth({permissions}) answers alike in Express and on node:http: 200, 401 without or with a bad token, 403', async () => {
    const forms = await guarded({ permissions: ['write:notes'] });
    await allowed(forms, editorToken, editorId);
    for (const { form, url } of forms) {
      const anonymous = await call(url);
      assert.equal(anonymous.status, 401, form);
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer', 'RFC 6750 §3.1: no error code without credentials');
      const foreign = await call(url, foreignToken);
      assert.equal(foreign.status, 401, form);
      assert.match(foreign.headers.get('www-authenticate')!, /^Bearer error="invalid_token", error_description="[^"]+"$/);
      assert.equal(((await foreign.json()) as { error: string }).error, 'invalid_token');
    }
    await refused(forms, plainToken, 'write:notes', 'write:notes');
  });

  it('requireAuth({roles}): a machine or a user holding every role passes; lacking one, 403 naming the role', async () => {
    const forms = await guarded({ roles: ['notes-editor'] });
    await allowed(forms, editorToken, editorId);
    await allowed(forms, userToken, user.id);
    // a role is not an OAuth scope: the challenge names it in the description only
    await refused(forms, plainToken, 'role notes-editor');
    await refused(forms, scopedToken, 'role notes-editor');
    await refused(await guarded({ roles: ['notes-editor', 'notes-admin'] }), editorToken, 'role notes-admin');
  });

  it('requireAuth({scopes}): a token granted the scope passes; lacking one, 403 with the scope asked for', async () => {
    const scoped = await createVerifier({ issuer, audience: notes }).verify(scopedToken);
    assert.deepEqual(scoped.scopes, ['read:notes']);
    const forms = await guarded({ scopes: ['read:notes'] });
    await allowed(forms, scopedToken, scoped.sub);
    // permissions from roles are not scopes: the editor holds read:notes as a permission, not as a granted scope
    await refused(forms, editorToken, 'scope read:notes', 'read:notes');
    await refused(await guarded({ scopes: ['read:notes', 'write:notes'] }), scopedToken, 'scope write:notes', 'read:notes write:notes');
  });
});
