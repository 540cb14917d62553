// `tessera env promote` (issue #19 §5): the diff of one environment's configuration against another's, applied on
// confirmation in one database transaction (db/promotion.repository.ts). What is and is not promoted:
// promotion-diff.ts.
import type { TenantsRepository } from '../db/tenants.repository.js';
import type { PromotionRepository } from './promotion.repository.js';
import { AppError, assertThat } from '../errors/app-error.js';
import { parseTenantSettings } from './tenant-settings.js';
import type { EnvironmentsService } from './environments.service.js';
import { diffEnvironments, isEmptyDiff, promotedClientFields, promotedStoredSettings, type EnvironmentConfig, type PromotionDiff } from './promotion-diff.js';

export interface PromotionDeps {
  environments: EnvironmentsService;
  tenants: TenantsRepository;
  repository: PromotionRepository;
  /** tells every process to rebuild the target's provider */
  announceChange(slug: string): Promise<void>;
  /** drops a client from the client caches */
  clientChanged(tenantId: string, clientId: string): Promise<void>;
}

export interface PromotionResult { from: string; to: string; diff: PromotionDiff; applied: boolean }

type Json = Record<string, unknown>;

export function createPromotion(deps: PromotionDeps) {
  async function configOf(tenantSlug: string, environment: string): Promise<EnvironmentConfig & { id: string; slug: string }> {
    const summary = await deps.environments.resolve(tenantSlug, environment);
    const record = await deps.tenants.findBySlug(summary.slug);
    assertThat(record, 'environment.not_found');
    const effective = parseTenantSettings(record.settings);
    const stored = (record.settings && typeof record.settings === 'object' ? record.settings : {}) as Json;
    return { id: record.id, slug: summary.slug, defaultApi: effective.defaultResource ?? `${summary.issuer}/api`, stored, effective: effective as unknown as Json, ...(await deps.repository.read(record.id)) };
  }

  return {
    /**
     * The diff of `from` onto `to`; with `apply`, the target changed to match, atomically.
     * @throws AppError('tenant.not_found' | 'environment.not_found' | 'request.invalid')
     */
    async promote(tenantSlug: string, from: string, to: string, apply: boolean): Promise<PromotionResult> {
      if (from === to) throw new AppError('request.invalid', 'Promote from one environment to another.');
      const [source, target] = [await configOf(tenantSlug, from), await configOf(tenantSlug, to)];
      const diff = diffEnvironments(source, target);
      if (!apply || isEmptyDiff(diff)) return { from, to, diff, applied: false };
      const clients = diff.clients.map((change) => {
        const own = source.clients.find((c) => c.name === change.name)!;
        const theirs = target.clients.find((c) => c.name === change.name)!;
        // a field the source's client lacks is removed from the target's (null)
        const metadata = Object.fromEntries(promotedClientFields.map((field) => [field, own.metadata[field] ?? null]));
        return { clientId: theirs.clientId, metadata, roles: own.roles };
      });
      await deps.repository.apply({
        targetId: target.id,
        settings: promotedStoredSettings(source.stored, target.stored),
        apis: {
          upsert: diff.apis.filter((change) => change.to).map((change) => change.to!),
          remove: diff.apis.filter((change) => !change.to).map((change) => change.from!.identifier),
        },
        roles: {
          upsert: diff.roles.filter((change) => change.to).map((change) => change.to!),
          remove: diff.roles.filter((change) => !change.to).map((change) => change.name),
        },
        clients,
      });
      await deps.announceChange(target.slug);
      for (const client of clients) await deps.clientChanged(target.id, client.clientId);
      return { from, to, diff, applied: true };
    },
  };
}

export type Promotion = ReturnType<typeof createPromotion>;
