// Periodic clean-up: expired oidc-provider rows, expired trusted devices, retired keys past their publication
// window and audit entries past the retention. A naive adapter slowed to half speed once its token table outgrew
// shared buffers (DESIGN.md): rows must go.
// The first run comes soon after start, not one interval later: a process restarted more often than the interval
// (deploys, autoscaling) would otherwise never clean at all.
import type { Logger } from 'pino';
import type { OidcModelsRepository } from '../db/oidc-models.repository.js';
import type { SigningKeysRepository } from '../db/signing-keys.repository.js';
import type { SessionActivityRepository } from '../db/session-activity.repository.js';
import type { MfaRepository } from '../db/mfa.repository.js';

export interface MaintenanceDeps {
  oidcModels: Pick<OidcModelsRepository, 'deleteExpired'>;
  signingKeysRepository: Pick<SigningKeysRepository, 'purgeUnpublished'>;
  sessionActivity: Pick<SessionActivityRepository, 'deleteOrphans'>;
  mfa: Pick<MfaRepository, 'deleteExpiredTrustedDevices'>;
  /** audit entries past the retention (AUDIT_RETENTION_DAYS): exported, then pruned; none when it is not set */
  auditRetention: { applyRetention(): Promise<number> };
}

export interface MaintenanceTiming {
  /** after start; a random part of it spreads processes that start together (default 15–45 s) */
  firstRunMs: number;
  everyMs: number;
}

const defaultTiming = (): MaintenanceTiming => ({ firstRunMs: 15_000 + Math.floor(Math.random() * 30_000), everyMs: 10 * 60 * 1000 });

export function startMaintenance(deps: MaintenanceDeps, logger: Logger, timing: MaintenanceTiming = defaultTiming()): () => void {
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const rows = await deps.oidcModels.deleteExpired();
      const trustedDevices = await deps.mfa.deleteExpiredTrustedDevices();
      const keys = await deps.signingKeysRepository.purgeUnpublished();
      const sessions = await deps.sessionActivity.deleteOrphans();
      const auditEntries = await deps.auditRetention.applyRetention();
      if (rows || trustedDevices || keys || sessions || auditEntries) logger.info({ rows, trustedDevices, keys, sessions, auditEntries }, 'expired rows removed');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'maintenance failed');
    }
  };
  // one run at a time: a slow run (a large backlog after a long outage) is not overlapped by the next
  const tick = () => {
    running ??= run().finally(() => { running = undefined; });
  };
  const first = setTimeout(tick, timing.firstRunMs);
  const timer = setInterval(tick, timing.everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
