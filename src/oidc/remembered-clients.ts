// A tenant's clients are dynamic to oidc-provider (its adapter reads the clients table), and for those its
// Client.find (lib/models/client.js) serialises the metadata to JSON and hashes it on every request to find the
// Client it built before: a sixth of Tessera's own cost per client_credentials token (npm run bench). Our client
// cache (clients/client-cache.ts) hands back the same metadata object until that client changes or its entry
// expires, so the object itself identifies the Client: it is looked up by identity instead.
//
// Changes stay effective at once, as before: an update or a deletion drops the cached object in every process, the
// next lookup gets a new object (or none) and goes through the library's own find. A Client built while the entry
// was replaced is built from metadata read after the object it is filed under, never before, so it is never staler.
import type Provider from 'oidc-provider';

type ClientClass = Provider['Client'];
type Client = NonNullable<Awaited<ReturnType<ClientClass['find']>>>;
type ClientModel = ClientClass & { adapter: { find(id: string): Promise<object | undefined | void>; peek?(id: string): object | undefined } };

/**
 * Makes `provider.Client.find` answer a client whose metadata object it has seen from the Client built for it.
 * @param staticIds the configuration's own clients (`clients`), which the library keeps itself and the adapter never has
 */
export function rememberClients(provider: Provider, staticIds: ReadonlySet<string>): void {
  const Client = provider.Client as ClientModel;
  const libraryFind = Client.find.bind(Client);
  const built = new WeakMap<object, Client>();
  // not async: a remembered client costs the lookup's own promise and one more, not an async function's frame too
  Client.find = function findRemembered(id: string): Promise<Client | undefined> {
    // anything but a stored client (no id, a static one, an unknown one, a client id metadata document URL) is the library's
    if (typeof id !== 'string' || !id || staticIds.has(id)) return libraryFind(id);
    // the metadata at hand (the client cache's fresh entry) and its Client built: no lookup to wait for
    const atHand = Client.adapter.peek?.(id);
    const ready = atHand && built.get(atHand);
    if (ready) return Promise.resolve(ready);
    return Client.adapter.find(id).then((metadata) => {
      if (!metadata) return libraryFind(id);
      const known = built.get(metadata);
      if (known) return known;
      return libraryFind(id).then((client) => {
        if (client) built.set(metadata, client);
        return client;
      });
    });
  };
}
