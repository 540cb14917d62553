// A user's second factors belong to the tenant's user realm, shared by all its environments (db/user-realm.ts):
// what is sealed or hashed for them is bound to the realm's id, so a factor set up in one environment works in
// every other. Before this, a TOTP secret or SMS number was sealed, and a recovery code hashed, under the id of the
// environment the user was in: a factor enrolled in a sandbox then failed to open at live (a 500) and its recovery
// codes never matched there. Those are still opened and matched here, by trying the realm's other tenant ids.
import type { Sealer } from '../../crypto/sealing.js';
import type { RealmTenants, UserRealm } from '../../db/user-realm.js';

export interface RealmSecretsDeps { realm: UserRealm; realmTenants: RealmTenants; sealer: Sealer }

export function createRealmSecrets(deps: RealmSecretsDeps) {
  /** the ids a value of the user could be bound to: the realm's first, then the environment asked from, then the rest */
  async function* boundTo(tenantId: string): AsyncGenerator<string> {
    const realm = await deps.realm(tenantId);
    yield realm;
    if (tenantId !== realm) yield tenantId;
    for (const id of await deps.realmTenants(realm)) if (id !== realm && id !== tenantId) yield id;
  }

  return {
    /** the id new values of a user in `tenantId` are bound to */
    realmOf: (tenantId: string) => deps.realm(tenantId),
    /** `sealed` opened under the context of the id it was bound to, or null when none opens it (never throws) */
    async open(tenantId: string, sealed: string, contextOf: (boundId: string) => string): Promise<string | null> {
      for await (const id of boundTo(tenantId)) {
        try {
          return deps.sealer.open(sealed, contextOf(id));
        } catch {
          // bound to another id, or sealed under a retired key: the next one
        }
      }
      return null;
    },
    /** tries `use` with the value bound to each id in turn until it answers true */
    async anyBound(tenantId: string, use: (boundId: string) => Promise<boolean>): Promise<boolean> {
      for await (const id of boundTo(tenantId)) if (await use(id)) return true;
      return false;
    },
  };
}

export type RealmSecrets = ReturnType<typeof createRealmSecrets>;
