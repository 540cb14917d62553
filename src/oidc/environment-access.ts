// Who may enter which environment of a tenant (issue #19): every enabled user of the tenant may enter `live`;
// another environment only a user who holds at least one role there (roles are per environment), so a sandbox is
// opened to a person by giving them a role in it. Switching and /v1/environments both ask here.
import type { TenantProviders } from './tenant-providers.js';
import type { TenantContext } from './tenant-provider-types.js';
import type { LastEnvironmentRepository } from '../db/last-environment.repository.js';
import type { EnvironmentsService, EnvironmentSummary } from '../tenants/environments.service.js';
import { liveEnvironment } from '../tenants/environment-names.js';
import { mayEnterEnvironment } from '../tenants/environment-entry.js';

export interface EnvironmentAccessDeps {
  environments: EnvironmentsService;
  providers: TenantProviders;
  rolesOfUser(tenant: { id: string; slug: string }, userId: string): Promise<string[]>;
  lastEnvironments: LastEnvironmentRepository;
}

export function createEnvironmentAccess(deps: EnvironmentAccessDeps) {
  async function mayEnter(target: Pick<TenantContext, 'id' | 'slug' | 'environment'>, userId: string): Promise<boolean> {
    return mayEnterEnvironment(target.environment, target.environment === liveEnvironment ? [] : await deps.rolesOfUser(target, userId));
  }

  return {
    mayEnter,
    /** the environments of `tenantSlug` the user may enter, live first */
    async enterable(tenantSlug: string, userId: string): Promise<EnvironmentSummary[]> {
      const all = await deps.environments.list(tenantSlug);
      const allowed: EnvironmentSummary[] = [];
      for (const env of all) {
        const resolved = await deps.providers.get(env.slug);
        if (resolved && await mayEnter(resolved.tenant, userId)) allowed.push(env);
      }
      return allowed;
    },
    lastEnvironment: (userId: string) => deps.lastEnvironments.get(userId),
    remember: (userId: string, environment: string) => deps.lastEnvironments.set(userId, environment),
  };
}

export type EnvironmentAccess = ReturnType<typeof createEnvironmentAccess>;
