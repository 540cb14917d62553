// A tenant provider's client lookup: the Client built for a metadata object is answered again while the client cache
// hands back that object (no serialising and hashing per request), and a changed or deleted client is seen at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import { rememberClients } from '../../src/oidc/remembered-clients.js';

/** @param peeks with it, the adapter also has `peek` (the client cache's fresh entry, client-cache.ts) */
function providerWith(stored: Map<string, AdapterPayload>, peeks = false) {
  const asked: string[] = [];
  const clients: Partial<Adapter> & { peek?(id: string): AdapterPayload | undefined } = {
    async find(id) {
      asked.push(id);
      return stored.get(id);
    },
    ...(peeks ? { peek: (id: string) => stored.get(id) } : {}),
  };
  const provider = new Provider('http://localhost:3000', {
    adapter: ((model: string) => (model === 'Client' ? clients : {})) as never,
    clients: [{ client_id: 'static-app', token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code'], response_types: ['code'] }],
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
  });
  // counts the library's own lookups (the ones that serialise and hash the metadata)
  let libraryFinds = 0;
  const libraryFind = provider.Client.find.bind(provider.Client);
  provider.Client.find = async (id: string) => {
    libraryFinds += 1;
    return libraryFind(id);
  };
  rememberClients(provider, new Set(['static-app']));
  return { provider, asked, libraryFinds: () => libraryFinds };
}

const service = (secret: string): AdapterPayload => ({
  client_id: 'service', client_secret: secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic',
});

/** a new secret for `service` is answered with a new Client at once, and its deletion with nothing */
async function seesChangeThenDeletion(provider: Provider, stored: Map<string, AdapterPayload>, first: unknown): Promise<void> {
  stored.set('service', service('second-secret-0123456789abcdef012345678'));
  const second = await provider.Client.find('service');
  assert.notEqual(second, first);
  assert.equal(second?.clientSecret, 'second-secret-0123456789abcdef012345678');
  stored.delete('service');
  assert.equal(await provider.Client.find('service'), undefined);
}

describe('remembered clients', () => {
  it('answers the Client built for the metadata object the adapter hands back again, without the library lookup', async () => {
    const stored = new Map([['service', service('first-secret-0123456789abcdef0123456789')]]);
    const { provider, libraryFinds } = providerWith(stored);
    const first = await provider.Client.find('service');
    assert.equal(first?.clientSecret, 'first-secret-0123456789abcdef0123456789');
    assert.equal(await provider.Client.find('service'), first);
    assert.equal(await provider.Client.find('service'), first);
    assert.equal(libraryFinds(), 1);
  });

  it('sees a changed client and a deleted one at once', async () => {
    const stored = new Map([['service', service('first-secret-0123456789abcdef0123456789')]]);
    const { provider } = providerWith(stored);
    const first = await provider.Client.find('service');
    await seesChangeThenDeletion(provider, stored, first);
    assert.equal(await provider.Client.find(''), undefined);
  });

  it('leaves static clients to the library: the adapter is not asked for them', async () => {
    const { provider, asked } = providerWith(new Map());
    assert.equal((await provider.Client.find('static-app'))?.clientId, 'static-app');
    assert.equal(await provider.Client.find('unknown'), undefined);
    assert.ok(!asked.includes('static-app'));
    assert.ok(asked.includes('unknown'));
  });

  it("with the source's peek, answers a fresh client without a lookup, and still sees a change or a deletion at once", async () => {
    const stored = new Map([['service', service('first-secret-0123456789abcdef0123456789')]]);
    const { provider, asked, libraryFinds } = providerWith(stored, true);
    const first = await provider.Client.find('service');
    assert.equal(first?.clientSecret, 'first-secret-0123456789abcdef0123456789');
    const lookups = asked.length;
    assert.equal(await provider.Client.find('service'), first);
    assert.equal(await provider.Client.find('service'), first);
    assert.equal(asked.length, lookups, 'no lookup for a client at hand');
    assert.equal(libraryFinds(), 1);

    await seesChangeThenDeletion(provider, stored, first);
  });
});
