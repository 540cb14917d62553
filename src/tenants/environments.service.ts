// A tenant's environments (issue #19): `live` is the tenant itself; `sandbox` and custom ones are tenant records
// of their own (their slug `{tenant}~{name}`, environment-names.ts) with their own issuer, signing keys, clients,
// roles, settings and tokens, while users and their credentials stay the tenant's (db/user-realm.ts).
import { randomUUID } from 'node:crypto';
import type { TenantsRepository } from '../db/tenants.repository.js';
import type { SigningKeys } from './signing-keys.js';
import { issuerFor, systemSlug } from './issuer.js';
import { AppError, assertThat } from '../errors/app-error.js';
import { environmentNamePattern, environmentSlug, liveEnvironment, splitSlug, tenantSlugPattern } from './environment-names.js';

export interface EnvironmentSummary {
  readonly environment: string;
  readonly slug: string;
  readonly issuer: string;
}

export interface EnvironmentsServiceDeps {
  repository: TenantsRepository;
  keys: SigningKeys;
  publicUrl: URL;
  /** gives a new environment its default roles and registers its default API, as for a tenant (rbac.service.ts) */
  seedTenant(tenantId: string, defaultApi: string | null): Promise<void>;
  /** production never has sandbox behaviour (tenant-settings-update.ts refuses it there) */
  production: boolean;
}

export function createEnvironmentsService(deps: EnvironmentsServiceDeps) {
  const summary = (tenant: string, environment: string): EnvironmentSummary => {
    const slug = environmentSlug(tenant, environment);
    return { environment, slug, issuer: issuerFor(deps.publicUrl, slug) };
  };

  /** @throws AppError('tenant.not_found' | 'environment.not_allowed') */
  async function parentOf(tenantSlug: string) {
    assertThat(tenantSlugPattern.test(tenantSlug), 'tenant.not_found', `No tenant with slug "${tenantSlug}".`);
    const parent = await deps.repository.findBySlug(tenantSlug);
    assertThat(parent, 'tenant.not_found', `No tenant with slug "${tenantSlug}".`);
    if (tenantSlug === systemSlug) throw new AppError('environment.not_allowed', 'The system tenant operates the installation: it has no environments.');
    return parent;
  }

  return {
    /**
     * A new environment of the tenant: its own issuer and first signing keys, default settings with
     * `signIn.sandbox` on outside production (every message to the outbox), and the tenant's default roles.
     * @throws AppError('tenant.not_found' | 'environment.not_allowed' | 'environment.invalid_name' | 'environment.exists')
     */
    async create(tenantSlug: string, name: string): Promise<EnvironmentSummary & { id: string }> {
      assertThat(environmentNamePattern.test(name) && name !== liveEnvironment, 'environment.invalid_name');
      const parent = await parentOf(tenantSlug);
      const { slug, issuer } = summary(tenantSlug, name);
      const id = randomUUID();
      const defaultResource = `${issuer}/api`;
      try {
        await deps.repository.create({
          id, slug, name: `${parent.name} (${name})`, parentId: parent.id, environment: name,
          settings: { defaultResource, ...(deps.production ? {} : { signIn: { sandbox: true } }) }, keys: await deps.keys.initialKeys(id),
        });
      } catch (error) {
        if (error instanceof AppError && error.code === 'tenant.slug_taken') throw new AppError('environment.exists');
        throw error;
      }
      await deps.seedTenant(id, defaultResource);
      return { id, environment: name, slug, issuer };
    },
    /** live first, then the others oldest first @throws AppError('tenant.not_found' | 'environment.not_allowed') */
    async list(tenantSlug: string): Promise<EnvironmentSummary[]> {
      const parent = await parentOf(tenantSlug);
      const others = await deps.repository.environmentsOf(parent.id);
      return [summary(tenantSlug, liveEnvironment), ...others.map((record) => summary(tenantSlug, record.environment))];
    },
    /** the slug of `environment` of the tenant, when it exists @throws AppError('tenant.not_found' | 'environment.not_found') */
    async resolve(tenantSlug: string, environment: string): Promise<EnvironmentSummary> {
      const known = (await this.list(tenantSlug)).find((env) => env.environment === environment);
      assertThat(known, 'environment.not_found', `The tenant "${tenantSlug}" has no environment "${environment}".`);
      return known;
    },
    /** the tenant a slug belongs to and which of its environments it addresses */
    describe: splitSlug,
  };
}

export type EnvironmentsService = ReturnType<typeof createEnvironmentsService>;
