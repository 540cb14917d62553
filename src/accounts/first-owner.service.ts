// The installation's first owner (issue #14): while no user holds the system tenant's `owner` role, a person at
// this machine (a loopback request with no proxy on the way) or holding the one-time setup token printed at start
// creates it from the console's first-run page. The token is stored only as its digest, expires, and is spent by
// the owner it made; once an owner exists, neither the page nor any token does anything.
import { randomBytes } from 'node:crypto';
import type { KvStore } from '../store/kv-store.js';
import type { Rbac } from '../rbac/rbac.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import type { UserRecord } from '../db/users.repository.js';
import type { PasswordRules } from './users.service.js';
import { digest } from '../crypto/sealing.js';
import { AppError } from '../errors/app-error.js';
import { systemSlug } from '../tenants/issuer.js';

/** how long a printed setup token works */
export const setupTokenSeconds = 60 * 60;

export interface FirstOwnerDeps {
  store: KvStore;
  rbac: Rbac;
  tenants: TenantsService;
  /** the users service's create (a checked password, a normalised email) */
  createUser(tenantId: string, input: { email: string; password: string; name?: string; emailVerified: boolean; rules?: PasswordRules }): Promise<UserRecord>;
}

const tokenKey = (token: string) => `setup-token:${digest(token)}`;
const lockKey = 'setup-first-owner';

export function createFirstOwner(deps: FirstOwnerDeps) {
  const system = async () => deps.tenants.get(systemSlug);
  const ownerExists = async () => {
    const tenant = await system();
    return deps.rbac.roleHasUsers({ id: tenant.id, slug: tenant.slug }, 'owner');
  };

  return {
    ownerExists,
    /** a new setup token while no owner exists (printed at start), else null */
    async issueToken(): Promise<string | null> {
      if (await ownerExists()) return null;
      const token = randomBytes(24).toString('base64url');
      await deps.store.set(tokenKey(token), '1', setupTokenSeconds);
      return token;
    },
    /** whether the token is one this installation printed and nobody has spent */
    async tokenIsLive(token: string): Promise<boolean> {
      return token.length > 0 && token.length <= 100 && (await deps.store.get(tokenKey(token))) !== null;
    },
    /**
     * Makes the first owner: a verified system-tenant user holding `owner`. One at a time across processes (a lock
     * in the shared store), and only while no owner exists, so two people racing make one owner.
     * @param proof a local request, or the setup token (spent on success)
     * @throws AppError('auth.forbidden' when an owner exists or the proof fails | 'auth.rate_limited' while another setup runs | 'user.*' | 'password.*')
     */
    async create(input: { email: string; password: string; name?: string }, proof: { local: boolean; token: string }): Promise<{ user: UserRecord; tenantId: string }> {
      if (!(await deps.store.setIfAbsent(lockKey, '1', 60))) throw new AppError('auth.rate_limited', 'Someone is setting up the first owner right now; reload in a moment.');
      try {
        if (await ownerExists()) throw new AppError('auth.forbidden', 'The installation already has an owner: sign in to the console.');
        if (!proof.local && !(await this.tokenIsLive(proof.token))) throw new AppError('auth.forbidden', 'The setup token is not valid: use the one printed when Tessera started (it works once, for an hour), or open this page on the server itself.');
        const tenant = await system();
        const user = await deps.createUser(tenant.id, { ...input, emailVerified: true, rules: tenant.settings.signIn });
        await deps.rbac.assignUserRoles({ id: tenant.id, slug: tenant.slug }, user.id, ['owner']);
        if (proof.token) await deps.store.del([tokenKey(proof.token)]);
        return { user, tenantId: tenant.id };
      } finally {
        await deps.store.del([lockKey]);
      }
    },
  };
}

export type FirstOwner = ReturnType<typeof createFirstOwner>;

/** what `npm start` prints while no owner exists: where to go, and the token for another machine */
export function firstOwnerBanner(publicUrl: URL, token: string): string {
  return [
    '', `No console owner yet: create one at ${new URL('/admin/setup', publicUrl).href}`,
    '  (from this machine as it is; from anywhere else with this one-time setup token, valid for an hour)',
    `  setup token: ${token}`, '', '',
  ].join('\n');
}
