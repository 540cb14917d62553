// The second step of every sign-in (issue #5). When a first factor hands its login back, the gate decides, by the
// tenant's policy and the user's factors, whether the interaction finishes now or waits for a second factor:
//   - amr already holds `mfa` (a passkey with user verification, or a second factor just proven): finish;
//   - the user has a factor (TOTP, passkey, an SMS number): the challenge page — unless this browser is trusted and the client
//     did not ask for a fresh one (acr_values naming MFA, or max_age);
//   - no factor, policy required and the grace period over: enrolment first;
//   - otherwise: finish, single-factor.
// The waiting login (account + first-factor amr) is kept per interaction in the store.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { AuditLog } from '../../audit/audit-log.js';
import type { MfaRepository } from '../../db/mfa.repository.js';
import type { PasskeysRepository } from '../../db/passkeys.repository.js';
import type { Details, InteractionContext } from '../../interactions/interaction-context.js';
import type { KvStore } from '../../store/kv-store.js';
import type { MfaSettings } from '../../tenants/mfa-settings.js';
import { deviceOf, requestInfo } from '../auth-method-deps.js';
import { ACR_MFA, asksForMfa } from '../../oidc/step-up-policy.js';

export { ACR_MFA } from '../../oidc/step-up-policy.js';

export interface PendingLogin { accountId: string; amr: string[]; enrol: boolean }

const PENDING_TTL = 900;
const DAY = 86_400_000;
const trustCookie = 'tessera_td';
export const trustTokenHash = (value: string) => createHash('sha256').update(value).digest('base64url');

/** the client asks for a second factor now: acr_values naming MFA, or max_age (a fresh sign-in) */
export function stepUpRequested(details: Pick<Details, 'params'>): boolean {
  return asksForMfa(details.params.acr_values) || details.params.max_age !== undefined;
}

export function createMfaGate(deps: { store: KvStore; mfa: MfaRepository; passkeys: PasskeysRepository; audit: AuditLog; https: boolean; now?: () => number }) {
  const { store, mfa, passkeys, audit } = deps;
  const now = deps.now ?? Date.now;
  const key = (tenantId: string, uid: string) => `mfa-pending:${tenantId}:${uid}`;
  let ix: InteractionContext;

  async function hasFactor(tenantId: string, userId: string, settings: MfaSettings): Promise<boolean> {
    const [totps, keys, sms] = await Promise.all([
      settings.factors.totp ? mfa.totpFactors(tenantId, userId) : Promise.resolve([]),
      settings.factors.passkey ? passkeys.countForUser(tenantId, userId) : Promise.resolve(0),
      // a number set up as a second factor (the REST API's /2fa/sms): the challenge page sends its code there
      settings.factors.sms ? mfa.smsFactor(tenantId, userId) : Promise.resolve(null),
    ]);
    return totps.some((t) => t.confirmed) || keys > 0 || sms !== null;
  }

  async function trustedHere(ctx: Context, tenantId: string, userId: string): Promise<boolean> {
    const token = ctx.cookies.get(trustCookie);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const device = await mfa.findTrustedDevice(tenantId, trustTokenHash(token));
    return device?.userId === userId;
  }

  return {
    hasFactor,
    /** wired once: the gate finishes interactions through the same context that consults it */
    attach(context: InteractionContext) {
      ix = context;
    },
    /** the BeforeLogin decision for the interaction being finished */
    async check(ctx: Context, login: { tenantId: string; uid: string; accountId: string; amr: string[] }): Promise<string[] | { redirect: string }> {
      if (login.amr.includes('mfa')) return login.amr;
      const tenant = ix.tenantOf(ctx);
      const settings = tenant.settings.mfa;
      const details = await ix.load(ctx);
      const stepUp = !!details && stepUpRequested(details);
      if (settings.policy === 'off' && !stepUp) return login.amr;
      const enrolled = await hasFactor(login.tenantId, login.accountId, settings);
      let enrol = false;
      if (!enrolled) {
        if (settings.policy !== 'required') return login.amr;
        const since = settings.requiredSince ? Date.parse(settings.requiredSince) : 0;
        if (now() < since + settings.graceDays * DAY) return login.amr;
        enrol = true;
      } else if (!stepUp && settings.trustedDeviceDays > 0 && (await trustedHere(ctx, login.tenantId, login.accountId))) {
        return login.amr;
      }
      const pending: PendingLogin = { accountId: login.accountId, amr: login.amr, enrol };
      await store.set(key(login.tenantId, login.uid), JSON.stringify(pending), PENDING_TTL);
      return { redirect: `/t/${tenant.slug}/interaction/${login.uid}/${enrol ? 'mfa/enrol' : 'mfa'}` };
    },
    /** the first-factor login of this interaction that waits for a second factor, or null */
    async pending(tenantId: string, uid: string): Promise<PendingLogin | null> {
      const raw = await store.get(key(tenantId, uid));
      return raw ? (JSON.parse(raw) as PendingLogin) : null;
    },
    /**
     * A second factor was proven for the waiting login: finishes the sign-in with the first factor's amr, the
     * factor's (`otp`, `hwk`, `sms`…) and `mfa`, acr MFA; remembers this browser if asked and allowed.
     */
    async complete(ctx: Context, pending: PendingLogin, factor: { kind: string; amr: string[]; remember?: boolean }): Promise<void> {
      const tenant = ix.tenantOf(ctx);
      const uid = String(ctx.params.uid);
      await store.del([key(tenant.id, uid)]);
      const days = tenant.settings.mfa.trustedDeviceDays;
      const request = requestInfo(ctx);
      if (factor.remember && days > 0) {
        const token = randomBytes(32).toString('base64url');
        await mfa.trustDevice(tenant.id, pending.accountId, { tokenHash: trustTokenHash(token), device: deviceOf(request.userAgent), ip: request.ip, expiresAt: new Date(now() + days * DAY) });
        ctx.cookies.set(trustCookie, token, { path: `/t/${tenant.slug}`, httpOnly: true, sameSite: 'lax', secure: deps.https, maxAge: days * DAY, signed: false, overwrite: true });
        await audit.record({ tenantId: tenant.id, type: 'mfa.device_trusted', actor: pending.accountId, subject: pending.accountId, ...request, data: { days } });
      }
      await audit.record({ tenantId: tenant.id, type: 'mfa.succeeded', actor: pending.accountId, subject: pending.accountId, ...request, data: { factor: factor.kind } });
      const amr = [...new Set([...pending.amr, ...factor.amr, 'mfa'])];
      await ix.finish(ctx, { login: { accountId: pending.accountId, amr, acr: ACR_MFA, remember: true } });
    },
  };
}

export type MfaGate = ReturnType<typeof createMfaGate>;
