// RFC 9126 pushed authorization requests and RFC 9207 `iss` in authorization responses, with openid-client as the
// relying party. PAR is on by default (a client may push); a client can require it of itself, a tenant of all its
// clients, and a tenant can turn PAR off.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { Browser, isPage } from '../support/browser.js';
import { discover, oidc } from '../support/relying-party.js';
import { client as apiClient, operator } from '../support/management.js';
import { clientRefusal, createProtocolClient, finishCodeFlow, setProtocol, startParameters } from '../support/protocol-profiles.js';

describe('pushed authorization requests (RFC 9126) and iss (RFC 9207)', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
  });

  /** where a plain (not pushed) authorization request ends: the error redirected to the client */
  async function plainRequestError(config: oidc.Configuration): Promise<URLSearchParams> {
    const start = startParameters();
    const landed = await new Browser().navigate(oidc.buildAuthorizationUrl(config, await start.params()), (location) => location.href.startsWith(redirectUri));
    assert.ok(!isPage(landed), 'the refusal is sent back to the client');
    return landed.searchParams;
  }

  it('advertises the PAR endpoint and iss in authorization responses by default', async () => {
    const metadata = await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.equal(metadata.pushed_authorization_request_endpoint, `${tenant.issuer}/request`);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.notEqual(metadata.require_pushed_authorization_requests, true);
  });

  it('signs in through a pushed request; the authorization response carries iss (checked by openid-client)', async () => {
    const client = await createProtocolClient(server, tenant.slug, {});
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const start = startParameters();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, await start.params());
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    const { callback, tokens } = await finishCodeFlow(config, user, { url, ...start });
    assert.equal(callback.searchParams.get('iss'), tenant.issuer);
    assert.equal(tokens.claims()!.sub, user.id);
  });

  it('a client that requires PAR is refused a plain authorization request, and signs in with PAR', async () => {
    const client = await createProtocolClient(server, tenant.slug, { require_pushed_authorization_requests: true });
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const refused = await plainRequestError(config);
    assert.equal(refused.get('error'), 'invalid_request');
    assert.equal(refused.get('iss'), tenant.issuer, 'error responses carry iss too');
    const start = startParameters();
    const { tokens } = await finishCodeFlow(config, user, { url: await oidc.buildAuthorizationUrlWithPAR(config, await start.params()), ...start });
    assert.ok(tokens.access_token);
  });

  it('a client that does not require PAR still signs in without it', async () => {
    const client = await createProtocolClient(server, tenant.slug, {});
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const start = startParameters();
    const { tokens } = await finishCodeFlow(config, user, { url: oidc.buildAuthorizationUrl(config, await start.params()), ...start });
    assert.ok(tokens.access_token);
  });

  it('the Management API changes a client\'s and a tenant\'s protocol settings, validated as by the CLI', async () => {
    const api = apiClient(server, (await operator(server, ['clients:write', 'clients:read', 'tenants:write', 'tenants:read'])).token);
    const client = await createProtocolClient(server, tenant.slug, {});
    const changed = await api.patch(`/tenants/${tenant.slug}/clients/${client.client_id}`, { require_pushed_authorization_requests: true });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.require_pushed_authorization_requests, true);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    assert.equal((await plainRequestError(config)).get('error'), 'invalid_request');
    const bad = await api.patch(`/tenants/${tenant.slug}/clients/${client.client_id}`, { subject_type: 'pairwise' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'client.invalid_metadata');
    const settings = await api.patch(`/tenants/${tenant.slug}/settings`, { protocol: { jarm: { enabled: 'on' } } });
    assert.equal(settings.status, 400);
    assert.match(settings.body.message, /protocol\.jarm\.enabled/);
    const mtls = await api.patch(`/tenants/${tenant.slug}/settings`, { protocol: { mtls: { enabled: true } } });
    assert.equal(mtls.status, 400);
    assert.match(mtls.body.message, /MTLS_CERT_HEADER/, 'no mTLS without the proxy\'s certificate header');
  });

  describe('a tenant that requires PAR of every client', () => {
    let slug: string;
    let issuer: string;
    before(async () => {
      ({ slug, issuer } = await createTenant(server));
      await createUser(server, slug);
      await setProtocol(server, slug, { par: { required: true } });
    });

    it('refuses plain requests of a client registered without the flag, and a client that opts out', async () => {
      const client = await createProtocolClient(server, slug, {});
      const config = await discover(issuer, client.client_id, client.client_secret!);
      assert.equal((await plainRequestError(config)).get('error'), 'invalid_request');
      assert.match(await clientRefusal(server, slug, { require_pushed_authorization_requests: false }), /require_pushed_authorization_requests cannot be false/);
    });

    it('tells relying parties in discovery (RFC 9126 §5)', async () => {
      const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.equal(metadata.require_pushed_authorization_requests, true);
    });

    it('keeps the tenant\'s own account page working (it signs in without PAR)', async () => {
      const landed = await new Browser().navigate(`${server.url}/t/${slug}/account/sign-in`);
      assert.ok(isPage(landed), 'a page, not a redirect out');
      assert.equal(landed.status, 200, landed.html.slice(0, 500));
      assert.match(landed.html, /\/login"/, 'the account page reaches the login page');
    });
  });

  it('a tenant can turn PAR off: no endpoint, and the push is not found', async () => {
    const other = await createTenant(server);
    await setProtocol(server, other.slug, { par: { enabled: false } });
    const metadata = await (await fetch(`${other.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.equal(metadata.pushed_authorization_request_endpoint, undefined);
    const push = await fetch(`${other.issuer}/request`, { method: 'POST', body: new URLSearchParams({ client_id: 'x' }) });
    assert.equal(push.status, 404);
    assert.match(await clientRefusal(server, other.slug, { require_pushed_authorization_requests: true }), /protocol\.par\.enabled/);
    const account = await new Browser().navigate(`${server.url}/t/${other.slug}/account/sign-in`);
    assert.ok(isPage(account) && account.status === 200 && account.html.includes('/login"'), 'the account page still signs in');
  });
});
