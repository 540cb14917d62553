// RFC 9728: a client that meets one of the tenant's APIs finds which authorization server issues its tokens and
// which scopes it understands — once the tenant publishes that.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant } from '../support/fixtures.js';

describe('protected-resource metadata (RFC 9728)', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  const metadataUrl = () => `${new URL(tenant.issuer).origin}/.well-known/oauth-protected-resource/t/${tenant.slug}/api`;

  before(async () => {
    tenant = await createTenant(server);
    await cliJson(server, ['api', 'create', '--tenant', tenant.slug, '--identifier', 'https://orders.example.com/v1', '--name', 'Orders', '--permission', 'read:orders', '--permission', 'write:orders']);
  });

  it('publishes nothing until the tenant turns it on', async () => {
    for (const url of [metadataUrl(), `${tenant.issuer}/protected-resources`]) {
      const response = await fetch(url);
      assert.equal(response.status, 404, url);
      assert.equal(((await response.json()) as { error: string }).error, 'route.not_found');
    }
  });

  describe('turned on', () => {
    before(async () => {
      await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ grants: { resourceMetadata: true } })]);
    });

    it('serves the default API\'s document where RFC 9728 §3.1 puts it, naming the tenant as its authorization server', async () => {
      const response = await fetch(metadataUrl());
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      const document = (await response.json()) as Record<string, unknown>;
      assert.equal(document.resource, `${tenant.issuer}/api`, '§3.3: resource is the identifier the URL was formed from');
      assert.deepEqual(document.authorization_servers, [tenant.issuer]);
      assert.deepEqual(document.bearer_methods_supported, ['header']);
      const discovery = (await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
      assert.equal(discovery.issuer, tenant.issuer, 'the authorization server named is discoverable');
    });

    it('lists every API with its scopes and the URL its own host serves the document at', async () => {
      const { resources } = (await (await fetch(`${tenant.issuer}/protected-resources`)).json()) as { resources: Record<string, unknown>[] };
      const orders = resources.find((r) => r.resource === 'https://orders.example.com/v1');
      assert.ok(orders, JSON.stringify(resources));
      assert.deepEqual(orders.scopes_supported, ['read:orders', 'write:orders']);
      assert.equal(orders.metadata_url, 'https://orders.example.com/.well-known/oauth-protected-resource/v1');
      assert.equal(orders.resource_name, 'Orders');
    });

    it('answers 404 for an identifier the tenant does not have, and for an unknown tenant', async () => {
      const origin = new URL(tenant.issuer).origin;
      for (const [url, error] of [
        [`${metadataUrl()}/other`, 'route.not_found'],
        [`${origin}/.well-known/oauth-protected-resource/t/no-such-tenant-x/api`, 'tenant.not_found'],
        [`${origin}/.well-known/oauth-protected-resource/t/%00/api`, 'tenant.not_found'],
      ]) {
        const response = await fetch(url!);
        assert.equal(response.status, 404, url);
        assert.equal(((await response.json()) as { error: string }).error, error, url);
      }
    });
  });
});
