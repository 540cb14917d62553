// What /readyz checks, built from the services: the database answers, the key/value store answers, every
// migration is applied, and the demo tenant exists when the demo is enabled.
import type { Services } from '../services.js';
import { pendingMigrations } from '../db/migrate.js';
import { demoSlug } from '../demo/demo.service.js';
import type { ReadinessCheck } from './health.routes.js';

export function readinessChecks(services: Pick<Services, 'db' | 'store' | 'tenants' | 'config'>): Record<string, ReadinessCheck> {
  // once applied, migrations stay applied for this process's life: checked until the first success only
  let migrated = false;
  const checks: Record<string, ReadinessCheck> = {
    database: async () => {
      await services.db.prisma.$queryRaw`SELECT 1`;
    },
    store: () => services.store.ping(),
    migrations: async () => {
      if (migrated) return;
      const pending = await pendingMigrations(services.db);
      if (pending.length) throw new Error(`${pending.length} migration(s) pending`);
      migrated = true;
    },
  };
  if (services.config.seedDemo) {
    checks.demo = async () => {
      if (!(await services.tenants.find(demoSlug))) throw new Error('the demo tenant is not seeded yet');
    };
  }
  return checks;
}
