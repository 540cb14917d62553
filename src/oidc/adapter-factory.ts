// Chooses where each oidc-provider model lives (README "Storage"):
//   PostgreSQL — Session, Grant, RefreshToken: they outlive a deploy (days to months) and the management
//                API lists and revokes them.
//   Redis      — Interaction, AuthorizationCode, AccessToken, ReplayDetection, PushedAuthorizationRequest …:
//                minutes to an hour, written on every flow, useless after a restart of the flow.
//   Client     — the clients table, managed by the CLI/API; written through the protocol only by dynamic
//                registration (RFC 7591/7592), which oidc-provider offers only where the tenant switched it on.
//   InitialAccessToken, RegistrationAccessToken — PostgreSQL: they live days, or as long as their client.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { OidcModelsRepository } from '../db/oidc-models.repository.js';
import type { KvStore } from '../store/kv-store.js';
import type { Sealer } from '../crypto/sealing.js';
import { createConsumePolicy } from './consume-policy.js';
import { createDurableAdapter } from './durable-adapter.js';
import { createShortLivedAdapter } from './short-lived-adapter.js';
import { reuseIntervalOf, successorRecorded } from './refresh-token-reuse.js';
import { providerRequests, type RequestScope } from './request-read-ahead.js';

export const durableModels: ReadonlySet<string> = new Set(['Session', 'Grant', 'RefreshToken', 'InitialAccessToken', 'RegistrationAccessToken']);

export interface ClientSource {
  /** oidc-provider client metadata, secret included, or undefined */
  find(clientId: string): Promise<Record<string, unknown> | undefined>;
  /** what `find` would answer at once from memory, the same object, or undefined when it would have to look */
  peek?(clientId: string): Record<string, unknown> | undefined;
  /** stores a dynamically registered client (RFC 7591) or its update (RFC 7592) */
  save(clientId: string, metadata: Record<string, unknown>): Promise<void>;
  /** deletes a dynamically registered client (RFC 7592) */
  remove(clientId: string): Promise<void>;
}

export interface AdapterFactoryDeps {
  tenantId: string;
  repository: OidcModelsRepository;
  store: KvStore;
  sealer: Sealer;
  clients: ClientSource;
  /** the clock of the reuse interval (default Date.now) */
  now?: () => number;
  /** the provider request in progress (default: oidc-provider's, Provider.ctx) */
  requestScope?: RequestScope;
}

/** the Client model's adapter: oidc-provider's Adapter, and the client source's `peek` (remembered-clients.ts) */
export type ClientAdapter = Adapter & { peek?(id: string): Record<string, unknown> | undefined };

function clientAdapter(clients: ClientSource): ClientAdapter {
  const readOnly = async () => {
    throw new errors.InvalidRequest('clients are managed by Tessera, not through the protocol');
  };
  // upsert/destroy are reached only through registration, which the tenant's provider enables or not
  return {
    // the cache's own promise, not one more per token request
    find: (id) => clients.find(id) as Promise<AdapterPayload | undefined>,
    ...(clients.peek ? { peek: clients.peek } : {}),
    upsert: async (id, payload) => clients.save(id, payload as Record<string, unknown>),
    destroy: async (id) => clients.remove(id),
    consume: readOnly,
    revokeByGrantId: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
  };
}

export function createAdapterFactory(deps: AdapterFactoryDeps): (model: string) => Adapter {
  const adapters = new Map<string, Adapter>();
  const requestScope = deps.requestScope ?? providerRequests;
  const policy = createConsumePolicy({
    now: deps.now ?? Date.now,
    async reuseIntervalFor(clientId) {
      const client = await deps.clients.find(clientId);
      return client ? reuseIntervalOf(client) : 0;
    },
    successorRecorded: (jti) => successorRecorded(deps.store, deps.tenantId, jti),
    async revokeGrant(grantId) {
      await Promise.all([
        adapterFor('Grant').destroy(grantId),
        ...['RefreshToken', 'AccessToken', 'AuthorizationCode'].map((model) => adapterFor(model).revokeByGrantId(grantId)),
      ]);
    },
  });

  function adapterFor(model: string): Adapter {
    let adapter = adapters.get(model);
    if (!adapter) {
      if (model === 'Client') adapter = clientAdapter(deps.clients);
      else if (durableModels.has(model)) adapter = createDurableAdapter(model, { ...deps, policy, requestScope });
      else adapter = createShortLivedAdapter(model, { ...deps, policy });
      adapters.set(model, adapter);
    }
    return adapter;
  }

  return (model) => adapterFor(model);
}
