// Periodic clean-up: expired oidc-provider rows and retired keys past their publication window. A naive
// adapter slowed to half speed once its token table outgrew shared buffers (DESIGN.md): rows must go.
import type { Logger } from 'pino';
import type { OidcModelsRepository } from '../db/oidc-models.repository.js';
import type { SigningKeysRepository } from '../db/signing-keys.repository.js';
import type { SessionActivityRepository } from '../db/session-activity.repository.js';

const everyMs = 10 * 60 * 1000;

export function startMaintenance(deps: { oidcModels: OidcModelsRepository; signingKeysRepository: SigningKeysRepository; sessionActivity: SessionActivityRepository }, logger: Logger): () => void {
  const run = async () => {
    try {
      const rows = await deps.oidcModels.deleteExpired();
      const keys = await deps.signingKeysRepository.purgeUnpublished();
      const sessions = await deps.sessionActivity.deleteOrphans();
      if (rows || keys || sessions) logger.info({ rows, keys, sessions }, 'expired rows removed');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'maintenance failed');
    }
  };
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
