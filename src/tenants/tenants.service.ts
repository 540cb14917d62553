// Creating tenants and changing what their provider instance depends on (keys, settings).
import { randomUUID } from 'node:crypto';
import type { TenantsRepository } from '../db/tenants.repository.js';
import { defaultPrePublishSeconds, maxPrePublishSeconds, type RotationReport, type SigningKeys } from './signing-keys.js';
import { issuerFor } from './issuer.js';
import { systemSlug } from './issuer.js';
import { AppError, assertThat } from '../errors/app-error.js';
import type { Sealer } from '../crypto/sealing.js';
import { slugPattern, tenantSlugPattern } from './environment-names.js';
import { applySettingsPatch, redactSettings } from './tenant-settings-update.js';
import { recordAdminAction } from '../audit/admin-actions.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { OutboundPolicy } from '../net/outbound-guard.js';
import { longestSignedTokenLifetime, parseTenantSettings, signingAlgs, type TenantSettings } from './tenant-settings.js';

export { slugPattern };
/** `system` holds the installation's operators (admin console); the others would read as product paths */
const reservedSlugs = new Set(['system', 'admin', 'api', 'assets', 'internal']);

export interface TenantSummary {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly issuer: string;
  readonly settings: TenantSettings;
}

export interface TenantsServiceDeps {
  repository: TenantsRepository;
  keys: SigningKeys;
  publicUrl: URL;
  /** tells running processes to rebuild the tenant's provider */
  announceChange(slug: string): Promise<void>;
  sealer: Sealer;
  production: boolean;
  /** the TLS proxy passes verified client certificates (MTLS_CERT_HEADER): tenants may turn mTLS on */
  mtlsHeaderConfigured?: boolean;
  /** gives a new tenant its default roles and registers its default API (rbac.service.ts) */
  seedTenant(tenantId: string, defaultApi: string | null): Promise<void>;
  audit: AuditLog;
  /** which URLs settings may hold (net/outbound-guard.ts) */
  outboundPolicy: OutboundPolicy;
}

/** who changes settings, for the audit log (`client:<id>`, `operator:<user id>`, `cli`) */
export interface SettingsActor { actor: string; ip?: string | null; userAgent?: string | null }

export function createTenantsService(deps: TenantsServiceDeps) {
  const { repository, keys, publicUrl } = deps;

  async function find(slug: string): Promise<TenantSummary | null> {
    const record = slugPattern.test(slug) ? await repository.findBySlug(slug) : null;
    if (!record) return null;
    return { id: record.id, slug, name: record.name, issuer: issuerFor(publicUrl, slug), settings: parseTenantSettings(record.settings) };
  }

  /** @throws AppError('tenant.not_found') */
  async function get(slug: string): Promise<TenantSummary> {
    const tenant = await find(slug);
    assertThat(tenant, 'tenant.not_found', `No tenant with slug "${slug}".`);
    return tenant;
  }

  return {
    find,
    get,
    /** @throws AppError('tenant.invalid_slug' | 'tenant.reserved_slug' | 'tenant.slug_taken') */
    async create(input: { slug: string; name?: string; allowReserved?: boolean; idTokenSigningAlg?: string; accessTokenSigningAlg?: string; defaultResource?: string }): Promise<TenantSummary> {
      assertThat(tenantSlugPattern.test(input.slug), 'tenant.invalid_slug');
      if (reservedSlugs.has(input.slug) && !input.allowReserved) throw new AppError('tenant.reserved_slug');
      const name = input.name?.trim() || input.slug;
      assertThat(name.length <= 100, 'request.invalid', 'A tenant name is at most 100 characters.');
      for (const alg of [input.idTokenSigningAlg, input.accessTokenSigningAlg]) {
        if (alg !== undefined && !(signingAlgs as readonly string[]).includes(alg)) throw new AppError('keys.invalid_alg');
      }
      const issuer = issuerFor(publicUrl, input.slug);
      const id = randomUUID();
      const defaultResource = input.defaultResource ?? `${issuer}/api`;
      const record = await repository.create({ id, slug: input.slug, name, settings: {
        defaultResource,
        ...(input.idTokenSigningAlg ? { idTokenSigningAlg: input.idTokenSigningAlg } : {}),
        ...(input.accessTokenSigningAlg ? { accessTokenSigningAlg: input.accessTokenSigningAlg } : {}),
      }, keys: await keys.initialKeys(id) });
      await deps.seedTenant(id, defaultResource);
      return { id: record.id, slug: record.slug, name, issuer, settings: parseTenantSettings(record.settings) };
    },
    /**
     * A new signing key of `alg`, pre-published for `prePublishSeconds` (default one hour) before it signs; with
     * `emergency`, signing at once while the replaced key leaves the JWKS at once.
     * @throws AppError('tenant.not_found' | 'keys.invalid_alg' | 'request.invalid')
     */
    async rotateKey(slug: string, alg: string, options: { prePublishSeconds?: number; emergency?: boolean } = {}): Promise<RotationReport> {
      const tenant = await get(slug);
      const prePublishSeconds = options.prePublishSeconds ?? defaultPrePublishSeconds;
      assertThat(Number.isInteger(prePublishSeconds) && prePublishSeconds >= 0 && prePublishSeconds <= maxPrePublishSeconds, 'request.invalid',
        `The pre-publication period is a whole number of seconds from 0 to ${maxPrePublishSeconds}.`);
      const report = await keys.rotate(tenant.id, alg, { longestTokenLifetimeSeconds: longestSignedTokenLifetime(tenant.settings), prePublishSeconds, emergency: options.emergency });
      await deps.announceChange(slug);
      return report;
    },
    /** the stored settings with credentials redacted, and what they resolve to */
    async settings(slug: string): Promise<{ stored: Record<string, unknown>; effective: TenantSettings }> {
      const record = slugPattern.test(slug) ? await repository.findBySlug(slug) : null;
      assertThat(record, 'tenant.not_found', `No tenant with slug "${slug}".`);
      const effective = parseTenantSettings(record.settings);
      return { stored: redactSettings(record.settings), effective: redactSettings(effective) as unknown as TenantSettings };
    },
    /**
     * Every way of changing settings (Management API, console, CLI) comes here, so a credential sent somewhere new
     * is audited (refused or accepted) in one place; the entries name settings paths, never values.
     * @throws AppError('tenant.not_found' | 'tenant.invalid_settings' | 'tenant.credential_required')
     */
    async updateSettings(slug: string, patch: unknown, by: SettingsActor): Promise<void> {
      const record = slugPattern.test(slug) ? await repository.findBySlug(slug) : null;
      assertThat(record, 'tenant.not_found', `No tenant with slug "${slug}".`);
      const audit = (type: `admin.${string}`, outcome: 'success' | 'failure', data: Record<string, unknown>) =>
        recordAdminAction(deps.audit, { tenantId: record.id, actor: by.actor, ip: by.ip ?? null, userAgent: by.userAgent ?? null, type, subject: `tenant:${slug}`, outcome, data });
      let next: ReturnType<typeof applySettingsPatch>;
      try {
        next = applySettingsPatch(record.settings, patch, { tenantId: record.id, sealer: deps.sealer, production: deps.production, outboundPolicy: deps.outboundPolicy, mtlsHeaderConfigured: deps.mtlsHeaderConfigured, environment: record.environment, slug: record.slug });
      } catch (error) {
        if (error instanceof AppError && error.code === 'tenant.credential_required') await audit('admin.credential_destination_refused', 'failure', { ...error.details });
        throw error;
      }
      await repository.updateSettings(record.id, next.settings);
      for (const change of next.rebound) {
        await audit('admin.credential_destination_changed', 'success', { credential: change.credential, destinations: change.destinations });
      }
      await deps.announceChange(slug);
    },
    /** slugs of tenants (and environments) that a production installation must not run: sandboxes with fixed test or debug codes */
    async withTestRecipients(): Promise<string[]> {
      return (await repository.list())
        .filter((record) => {
          const { signIn } = parseTenantSettings(record.settings);
          return Object.keys(signIn.testRecipients).length > 0 || signIn.debugCode !== null;
        })
        .map((record) => record.slug);
    },
    /** deletes a tenant with all its data; its provider is dropped everywhere @throws AppError('tenant.not_found' | 'tenant.reserved_slug') */
    async remove(slug: string): Promise<void> {
      if (slug === systemSlug) throw new AppError('tenant.reserved_slug', 'The system tenant holds the operators: it cannot be deleted.');
      const tenant = await get(slug);
      // its environments go with it (cascade): their providers are dropped everywhere too (issue #19)
      const environments = await repository.environmentsOf(tenant.id);
      assertThat(await repository.delete(tenant.id), 'tenant.not_found', `No tenant with slug "${slug}".`);
      for (const slugOf of [slug, ...environments.map((env) => env.slug)]) await deps.announceChange(slugOf);
    },
    async list(): Promise<TenantSummary[]> {
      return (await repository.listTenants()).map((r) => ({ id: r.id, slug: r.slug, name: r.name, issuer: issuerFor(publicUrl, r.slug), settings: parseTenantSettings(r.settings) }));
    },
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
