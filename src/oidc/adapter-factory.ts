// Chooses where each oidc-provider model lives (README "Storage"):
//   PostgreSQL — Session, Grant, RefreshToken: they outlive a deploy (days to months) and the management
//                API lists and revokes them.
//   Redis      — Interaction, AuthorizationCode, AccessToken, ReplayDetection, PushedAuthorizationRequest …:
//                minutes to an hour, written on every flow, useless after a restart of the flow.
//   Client     — read from the clients table (registration is off; clients are managed by the CLI/API).
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { OidcModelsRepository } from '../db/oidc-models.repository.js';
import type { KvStore } from '../store/kv-store.js';
import type { Sealer } from '../crypto/sealing.js';
import { createConsumePolicy } from './consume-policy.js';
import { createDurableAdapter } from './durable-adapter.js';
import { createShortLivedAdapter } from './short-lived-adapter.js';

export const durableModels: ReadonlySet<string> = new Set(['Session', 'Grant', 'RefreshToken']);

export interface ClientSource {
  /** oidc-provider client metadata, secret included, or undefined */
  find(clientId: string): Promise<Record<string, unknown> | undefined>;
}

export interface AdapterFactoryDeps {
  tenantId: string;
  repository: OidcModelsRepository;
  store: KvStore;
  sealer: Sealer;
  clients: ClientSource;
}

function clientAdapter(clients: ClientSource): Adapter {
  const readOnly = async () => {
    throw new errors.InvalidRequest('clients are managed by Tessera, not through the protocol');
  };
  return {
    find: async (id) => (await clients.find(id)) as AdapterPayload | undefined,
    upsert: readOnly,
    destroy: readOnly,
    consume: readOnly,
    revokeByGrantId: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
  };
}

export function createAdapterFactory(deps: AdapterFactoryDeps): (model: string) => Adapter {
  const adapters = new Map<string, Adapter>();
  const policy = createConsumePolicy({
    async reuseIntervalFor(clientId) {
      const interval = (await deps.clients.find(clientId))?.refresh_token_reuse_interval;
      return typeof interval === 'number' ? interval : 0;
    },
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
      else if (durableModels.has(model)) adapter = createDurableAdapter(model, { ...deps, policy });
      else adapter = createShortLivedAdapter(model, { ...deps, policy });
      adapters.set(model, adapter);
    }
    return adapter;
  }

  return (model) => adapterFor(model);
}
