// A user's TOTP authenticators and recovery codes (issue #5): enrolment (an unconfirmed factor until its first
// code), checking a code (each time step once), recovery codes (each once; a new set replaces the old), and the
// lock on second-factor failures — like passwords: 10 per 15 minutes per account, then wait. Secrets, recovery-code
// hashes and the lock are the user realm's, shared by every environment of the tenant (realm-secrets.ts).
import type { AuditLog } from '../../audit/audit-log.js';
import type { Sealer } from '../../crypto/sealing.js';
import type { MfaRepository } from '../../db/mfa.repository.js';
import { reserveAttempt, type Attempt } from '../../store/attempt-guard.js';
import type { RateLimiter, RateRule } from '../../store/rate-limiter.js';
import type { RealmSecrets } from './realm-secrets.js';
import { createRecoveryCodes } from './recovery-codes.js';
import { newTotpSecret, totpProvisioning, totpStep } from './totp.js';

export const secondFactorLimit: RateRule = { limit: 10, windowSeconds: 15 * 60 };

export function createFactors(deps: { mfa: MfaRepository; sealer: Sealer; realmSecrets: RealmSecrets; limiter: RateLimiter; audit: AuditLog; recoverySecret: string; now?: () => number }) {
  const { mfa, sealer, limiter, realmSecrets } = deps;
  const now = deps.now ?? Date.now;
  const recovery = createRecoveryCodes(deps.recoverySecret);
  const context = (tenantId: string, userId: string) => `totp-secret:${tenantId}:${userId}`;
  // one lock per user realm: every environment checks the same factors, so a guess counts in all of them
  const bucket = async (tenantId: string) => `mfa-fail:${await realmSecrets.realmOf(tenantId)}`;
  const openTotp = (tenantId: string, userId: string, sealed: string) => realmSecrets.open(tenantId, sealed, (id) => context(id, userId));

  return {
    /**
     * The authenticator being set up and what the app must scan: `factorId`'s again while it is unconfirmed (the app
     * may already hold its secret), else a new one (earlier unconfirmed ones are dropped).
     */
    async totpEnrolment(tenantId: string, userId: string, factorId: string | null, label: { issuer: string; account: string }) {
      const pending = factorId ? await mfa.findTotp(tenantId, userId, factorId) : null;
      const pendingSecret = pending && !pending.confirmed ? await openTotp(tenantId, userId, pending.sealedSecret) : null;
      let id: string;
      let secret: string;
      if (pending && pendingSecret !== null) {
        id = pending.id;
        secret = pendingSecret;
      } else {
        await mfa.dropUnconfirmed(tenantId, userId);
        secret = newTotpSecret();
        const sealed = sealer.seal(secret, context(await realmSecrets.realmOf(tenantId), userId));
        id = (await mfa.createTotp(tenantId, userId, 'Authenticator app', sealed)).id;
      }
      return { factorId: id, secret, ...(await totpProvisioning({ secret, ...label })) };
    },
    /** confirms an enrolment with its first code */
    async confirmTotp(tenantId: string, userId: string, factorId: string, code: string): Promise<boolean> {
      const factor = await mfa.findTotp(tenantId, userId, factorId);
      if (!factor || factor.confirmed) return false;
      const secret = await openTotp(tenantId, userId, factor.sealedSecret);
      if (secret === null) return false;
      const step = await totpStep(secret, code.trim(), now());
      return step !== null && (await mfa.acceptTimeStep(factor.id, step));
    },
    /** a code of any confirmed authenticator; a time step already used is refused (RFC 6238 §5.2) */
    async verifyTotp(tenantId: string, userId: string, code: string): Promise<boolean> {
      for (const factor of await mfa.totpFactors(tenantId, userId)) {
        if (!factor.confirmed) continue;
        const secret = await openTotp(tenantId, userId, factor.sealedSecret);
        if (secret === null) continue;
        const step = await totpStep(secret, code.trim(), now());
        if (step !== null) return mfa.acceptTimeStep(factor.id, step);
      }
      return false;
    },
    /** the user's second factors in one read */
    secondFactorFacts: (tenantId: string, userId: string) => mfa.secondFactorFacts(tenantId, userId),
    hasConfirmedTotp: async (tenantId: string, userId: string) => (await mfa.totpFactors(tenantId, userId)).some((f) => f.confirmed),
    totpFactors: (tenantId: string, userId: string) => mfa.totpFactors(tenantId, userId).then((all) => all.filter((f) => f.confirmed)),
    removeTotp: (tenantId: string, userId: string, id: string) => mfa.removeTotp(tenantId, userId, id),

    /** a new set of recovery codes, replacing any old set: the codes are returned to be shown once */
    async newRecoveryCodes(tenantId: string, userId: string): Promise<string[]> {
      const { codes, hashes } = recovery.generate(await realmSecrets.realmOf(tenantId), userId);
      await mfa.replaceRecoveryCodes(tenantId, userId, hashes);
      return codes;
    },
    useRecoveryCode: (tenantId: string, userId: string, code: string) =>
      realmSecrets.anyBound(tenantId, (id) => mfa.useRecoveryCode(tenantId, userId, recovery.hash(id, userId, code))),
    recoveryCodesLeft: (tenantId: string, userId: string) => mfa.recoveryCodesLeft(tenantId, userId),

    /** @returns seconds until another second-factor attempt is allowed, 0 when it is (a read: nothing is counted) */
    async lockedFor(tenantId: string, userId: string): Promise<number> {
      const state = await limiter.peek(await bucket(tenantId), userId, secondFactorLimit);
      return state.allowed ? 0 : Math.max(1, state.retryAfterSeconds);
    },
    /** clears the second-factor failures of the account (an operator unlocks it) */
    unlock: async (tenantId: string, userId: string) => limiter.reset(await bucket(tenantId), userId),
    /**
     * one second-factor attempt, reserved before the code or passkey is checked so concurrent guesses cannot all be
     * judged (store/attempt-guard.ts); a wrong one stays counted, a right one clears the account's failures
     */
    async reserveAttempt(tenantId: string, userId: string): Promise<Attempt> {
      return reserveAttempt(limiter, [{ bucket: await bucket(tenantId), subject: userId, rule: secondFactorLimit, onSuccess: 'reset' }]);
    },
  };
}

export type Factors = ReturnType<typeof createFactors>;
