// The second step of every hosted sign-in (issue #5), as events of the interaction's login transaction (src/login/,
// issue #16 §1): when a first factor hands its login back, the transaction records `first_factor_passed`, the gate
// looks up what the machine needs (the user's factors, whether this browser is trusted, whether the client asked for
// a fresh factor) and the machine's `second_factor_assessed` decides:
//   - completed: the interaction finishes now (amr already `mfa`, policy off, trusted browser, or no factor due);
//   - second_factor_required: the challenge page (/mfa; TOTP, passkey, or a code to the SMS factor's number); a
//     factor proven there is `second_factor_passed`;
//   - enrolment_required: set up an authenticator first (/mfa/enrol); its confirmation is `enrolled`.
// The waiting login lives in that ONE record (id bound to the interaction uid, one TTL); the pages read its state.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { AuditLog } from '../../audit/audit-log.js';
import type { MfaRepository } from '../../db/mfa.repository.js';
import type { PasskeysRepository } from '../../db/passkeys.repository.js';
import type { Details, InteractionContext } from '../../interactions/interaction-context.js';
import type { LoginTransaction } from '../../login/login-transaction.machine.js';
import { deviceOf } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import { firstFactorOf, type HostedLogins } from '../hosted-login.js';
import { ACR_MFA, asksForMfa } from '../../oidc/step-up-policy.js';
import type { Factors } from './factors.service.js';
import type { SmsFactor } from './sms-factor.js';
import { enrolledSecondFactors } from './enrolled-factors.js';

export { ACR_MFA } from '../../oidc/step-up-policy.js';

/** a hosted sign-in waiting at the gate: its transaction, and the facts the pages read from it */
export interface PendingLogin { accountId: string; amr: string[]; enrol: boolean; tx: LoginTransaction }

const DAY = 86_400_000;
const trustCookie = 'tessera_td';
/** codes by message and recovery codes answer a due second factor; they never make one due */
const hostedFallbackFactors = ['recovery_code', 'sms', 'email'] as const;
export const trustTokenHash = (value: string) => createHash('sha256').update(value).digest('base64url');

/** the client asks for a second factor now: acr_values naming MFA, or max_age (a fresh sign-in) */
export function stepUpRequested(details: Pick<Details, 'params'>): boolean {
  return asksForMfa(details.params.acr_values) || details.params.max_age !== undefined;
}

export interface MfaGateDeps {
  logins: HostedLogins;
  mfa: MfaRepository;
  passkeys: PasskeysRepository;
  factors: Factors;
  smsFactor: SmsFactor;
  audit: AuditLog;
  https: boolean;
  now?: () => number;
}

export function createMfaGate(deps: MfaGateDeps) {
  const { logins, mfa, audit } = deps;
  const now = deps.now ?? Date.now;
  let ix: InteractionContext;

  async function trustedHere(ctx: Context, tenantId: string, userId: string): Promise<boolean> {
    const token = ctx.cookies.get(trustCookie);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const device = await mfa.findTrustedDevice(tenantId, trustTokenHash(token));
    return device?.userId === userId;
  }

  return {
    /** wired once: the gate finishes interactions through the same context that consults it */
    attach(context: InteractionContext) {
      ix = context;
    },
    /**
     * The BeforeLogin decision for the interaction being finished: a new transaction for this interaction (a first
     * factor proven again starts over), its first factor, and the machine's assessment.
     */
    async check(ctx: Context, login: { tenantId: string; uid: string; accountId: string; amr: string[] }): Promise<string[] | { redirect: string }> {
      // a second factor just proven (or a passkey with user verification): nothing left to ask
      if (login.amr.includes('mfa')) return login.amr;
      const tenant = ix.tenantOf(ctx);
      const settings = tenant.settings.mfa;
      const details = await ix.load(ctx);
      const stepUp = !!details && stepUpRequested(details);
      const { tenantId, uid } = login;
      const method = firstFactorOf(login.amr);
      // the machine decides before it would read the factors when the policy is off and no step-up was asked
      const needsFacts = settings.policy !== 'off' || stepUp;
      const [enrolledFactors, trustedDevice] = needsFacts
        ? await Promise.all([enrolledSecondFactors(deps, login.tenantId, login.accountId), trustedHere(ctx, login.tenantId, login.accountId)])
        : [[], false];
      // the app the interaction returns to; handing the login back to it is the transaction's one `tokens_issued`.
      // The new transaction, its first factor and the assessment are one write: the facts are known already.
      const assessed = await logins.restartWith({ tenantId, uid, clientId: String(details?.params.client_id ?? ''), method, stepUp }, [
        { event: { type: 'first_factor_passed', userId: login.accountId, method, amr: login.amr }, policy: null },
        { event: { type: 'second_factor_assessed', enrolledFactors, trustedDevice, alsoAccepted: hostedFallbackFactors }, policy: settings },
      ]);
      if (!assessed.ok) return { redirect: `/t/${tenant.slug}/interaction/${login.uid}` };
      if (assessed.tx.state === 'completed') return assessed.tx.amr;
      const enrol = assessed.tx.state === 'enrolment_required';
      return { redirect: `/t/${tenant.slug}/interaction/${login.uid}/${enrol ? 'mfa/enrol' : 'mfa'}` };
    },
    /**
     * The first-factor login of this interaction that waits for a second factor (or has just enrolled one and not
     * finished yet), or null: none, expired, failed or already handed back.
     */
    async pending(tenantId: string, uid: string): Promise<PendingLogin | null> {
      const tx = await logins.get(tenantId, uid);
      if (!tx || !tx.userId) return null;
      const enrolling = tx.state === 'enrolment_required' || (tx.state === 'completed' && !tx.redeemed && tx.amr.includes('mfa'));
      if (tx.state !== 'second_factor_required' && !enrolling) return null;
      return { accountId: tx.userId, amr: tx.amr, enrol: enrolling, tx };
    },
    /** remembers the factor being enrolled (the unconfirmed TOTP's id) in the transaction */
    async enrolling(uid: string, pending: PendingLogin, factorId: string): Promise<void> {
      await logins.apply(pending.tx.tenantId, uid, { type: 'challenge_started', challengeId: factorId }, null);
    },
    /** the enrolled factor is confirmed: the transaction completes (the recovery codes are shown before it finishes) */
    async enrolled(uid: string, pending: PendingLogin, factor: { kind: string; amr: string[] }): Promise<boolean> {
      return (await logins.apply(pending.tx.tenantId, uid, { type: 'enrolled', method: factor.kind, amr: factor.amr }, null)).ok;
    },
    /** the interaction's sign-in gave up (the user cancelled): its transaction fails */
    async abandon(tenantId: string, uid: string): Promise<void> {
      await logins.apply(tenantId, uid, { type: 'failed', reason: 'aborted' }, null);
    },
    /**
     * A second factor was proven for the waiting login (`second_factor_passed`, or an enrolment already `enrolled`):
     * finishes the sign-in with the first factor's amr, the factor's (`otp`, `hwk`, `sms`…) and `mfa`, acr MFA;
     * remembers this browser if asked and allowed. A transaction that moved on meanwhile gets the expired page.
     */
    async complete(ctx: Context, pending: PendingLogin, factor: { kind: string; amr: string[]; remember?: boolean }): Promise<void> {
      const tenant = ix.tenantOf(ctx);
      const { tx } = pending;
      const uid = String(ctx.params.uid);
      let done = tx;
      if (tx.state === 'second_factor_required') {
        const passed = await logins.apply(tenant.id, uid, { type: 'second_factor_passed', method: factor.kind, amr: factor.amr }, null);
        if (!passed.ok) return ix.expired(ctx);
        done = passed.tx;
      }
      // handed back once: a second request with the same proof finds the transaction redeemed
      const handed = await logins.apply(tenant.id, uid, { type: 'tokens_issued', clientId: String(done.clientId) }, null);
      if (!handed.ok || handed.tx.state !== 'completed') return ix.expired(ctx);
      const days = tenant.settings.mfa.trustedDeviceDays;
      const request = requestInfo(ctx);
      if (factor.remember && days > 0) {
        const token = randomBytes(32).toString('base64url');
        await mfa.trustDevice(tenant.id, pending.accountId, { tokenHash: trustTokenHash(token), device: deviceOf(request.userAgent), ip: request.ip, expiresAt: new Date(now() + days * DAY) });
        ctx.cookies.set(trustCookie, token, { path: `/t/${tenant.slug}`, httpOnly: true, sameSite: 'lax', secure: deps.https, maxAge: days * DAY, signed: false, overwrite: true });
        await audit.record({ tenantId: tenant.id, type: 'mfa.device_trusted', actor: pending.accountId, subject: pending.accountId, ...request, data: { days } });
      }
      await audit.record({ tenantId: tenant.id, type: 'mfa.succeeded', actor: pending.accountId, subject: pending.accountId, ...request, data: { factor: factor.kind } });
      await ix.finish(ctx, { login: { accountId: pending.accountId, amr: handed.tx.amr, acr: ACR_MFA, remember: true } });
    },
  };
}

export type MfaGate = ReturnType<typeof createMfaGate>;
