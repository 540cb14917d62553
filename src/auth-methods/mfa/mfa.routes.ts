// The second-factor pages of a sign-in (issue #5), reached only through the MFA gate:
//   GET  /t/{slug}/interaction/{uid}/mfa                the challenge: the user's factors (authenticator code, passkey,
//                                                       recovery code) and "remember this browser"
//   POST …/mfa/totp, …/mfa/recovery                     a code; right → the sign-in finishes (gate.complete)
//   GET|POST …/mfa/enrol, POST …/mfa/enrol/done         a required policy past its grace period: set up an
//                                                       authenticator app, see the recovery codes once, finish
// Every step reads and moves the interaction's login transaction (mfa-gate.ts); nothing else is kept per step.
// Wrong codes count against the account like wrong passwords (factors.service.ts) and are audited.
import Router from '@koa/router';
import type { Context } from 'koa';
import { field, formBody, type Details } from '../../interactions/interaction-context.js';
import type { PasskeysRepository } from '../../db/passkeys.repository.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { maskDestination, sendingRequest, tooManyCodes } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { UserRecord } from '../../db/users.repository.js';
import type { Factors } from './factors.service.js';
import type { SmsFactor } from './sms-factor.js';
import { allowPasskeyScript } from '../passkeys/passkey-http.js';
import type { MfaGate, PendingLogin } from './mfa-gate.js';
import { outboxKept } from '../../tenants/sandbox-behaviour.js';

const passkeyMessages: Record<string, string> = {
  failed: 'mfa.passkeyFailed',
  locked: 'mfa.passkeyLocked',
  missing: 'mfa.passkeyMissing',
  unavailable: 'mfa.passkeyUnavailable',
};

export interface MfaDeps { factors: Factors; gate: MfaGate; passkeys: PasskeysRepository; smsFactor: SmsFactor }

export function mfaRoutes(deps: AuthMethodDeps & MfaDeps) {
  const { ix, users, audit, factors, gate, passkeys } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid/mfa' });

  async function waiting(ctx: Context): Promise<{ details: Details; pending: PendingLogin } | null> {
    const details = await ix.load(ctx);
    const pending = details ? await gate.pending(ix.tenantOf(ctx).id, details.uid) : null;
    return details && pending ? { details, pending } : null;
  }

  async function challenge(ctx: Context, details: Details, pending: PendingLogin, options: { error?: string; status?: number } = {}) {
    const tenant = ix.tenantOf(ctx);
    const settings = tenant.settings.mfa;
    const [totp, keys, left] = await Promise.all([
      settings.factors.totp ? factors.hasConfirmedTotp(tenant.id, pending.accountId) : false,
      settings.factors.passkey ? passkeys.countForUser(tenant.id, pending.accountId) : 0,
      factors.recoveryCodesLeft(tenant.id, pending.accountId),
    ]);
    const base = ix.base(ctx);
    const user = await users.findById(tenant.id, pending.accountId);
    const smsNumber = await deps.smsFactor.numberOf(tenant.id, pending.accountId);
    const codes = codeChannels(tenant, user, smsNumber);
    if (keys > 0) allowPasskeyScript(ctx);
    await ix.render(ctx, 'mfa', {
      title: 'mfa.title', status: options.status,
      data: {
        csrfToken: ix.csrfToken(details), error: options.error ?? null, totp, passkey: keys > 0, recovery: left > 0,
        sms: codes.sms ? maskDestination(smsNumber ?? user!.phone!) : null, email: codes.email ? maskDestination(user!.email!) : null,
        remember: settings.trustedDeviceDays > 0 ? settings.trustedDeviceDays : 0,
        urls: { totp: `${base}/mfa/totp`, recovery: `${base}/mfa/recovery`, sms: `${base}/mfa/code/sms`, email: `${base}/mfa/code/email`, passkeyOptions: `${base}/mfa/passkey/options`, passkey: `${base}/mfa/passkey`, abort: `${base}/abort` },
      },
    });
  }

  router.get('/', async (ctx) => {
    const found = await waiting(ctx);
    if (!found) return ix.expired(ctx);
    if (found.pending.enrol) return ix.seeOther(ctx, '/mfa/enrol');
    // a refused passkey comes back here (passkey.routes.ts) with the reason
    const reason = typeof ctx.query.passkey === 'string' && Object.hasOwn(passkeyMessages, ctx.query.passkey) ? ctx.query.passkey : null;
    return challenge(ctx, found.details, found.pending, reason ? { error: ix.t(ctx, passkeyMessages[reason]!), status: reason === 'locked' ? 429 : 400 } : {});
  });

  /** a code typed on the challenge page: reserved against the account's limit, then checked; wrong ones stay counted */
  async function attempt(ctx: Context, kind: 'totp' | 'recovery_code', check: (tenantId: string, userId: string, code: string) => Promise<boolean>) {
    const found = await waiting(ctx);
    if (!found) return ix.expired(ctx);
    const { details, pending } = found;
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    const attempt = await factors.reserveAttempt(tenant.id, pending.accountId);
    if (!attempt.allowed) {
      const wait = attempt.retryAfterSeconds;
      ctx.set('Retry-After', String(wait));
      await audit.record({ tenantId: tenant.id, type: 'mfa.locked', subject: pending.accountId, ...requestInfo(ctx), outcome: 'failure', data: { factor: kind } });
      return challenge(ctx, details, pending, { error: ix.t(ctx, 'mfa.tooManyWrong', { count: Math.ceil(wait / 60) }), status: 429 });
    }
    const code = field(ctx, 'code').slice(0, 64);
    if (!(await check(tenant.id, pending.accountId, code))) {
      // the reserved attempt stays counted: this is a failure
      await audit.record({ tenantId: tenant.id, type: 'mfa.failed', subject: pending.accountId, ...requestInfo(ctx), outcome: 'failure', data: { factor: kind } });
      const message = ix.t(ctx, kind === 'totp' ? 'mfa.wrongTotp' : 'mfa.wrongRecovery');
      return challenge(ctx, details, pending, { error: message, status: 400 });
    }
    await attempt.succeeded();
    if (kind === 'recovery_code') {
      await audit.record({ tenantId: tenant.id, type: 'mfa.recovery_code_used', actor: pending.accountId, subject: pending.accountId, ...requestInfo(ctx), data: { left: await factors.recoveryCodesLeft(tenant.id, pending.accountId) } });
    }
    return gate.complete(ctx, pending, { kind, amr: ['otp'], remember: field(ctx, 'remember') === 'on' });
  }

  /** which codes by message the user can get: verified (or set up as the SMS factor), allowed by the policy, and deliverable here */
  function codeChannels(tenant: ReturnType<typeof ix.tenantOf>, user: UserRecord | null, smsNumber: string | null) {
    const { factors: allowed } = tenant.settings.mfa;
    const outbox = outboxKept(deps.env);
    return {
      sms: (!!smsNumber || (!!user?.phone && user.phoneVerified)) && allowed.sms && (outbox || !!deps.channels.sms(tenant.id, tenant.settings.messaging)),
      email: !!user?.email && user.emailVerified && allowed.email && (outbox || !!deps.channels.email(tenant.id, tenant.settings.messaging)),
    };
  }

  // a code by SMS or email as the second factor: the usual code page, its completion hands back to the gate
  router.post('/code/:channel', formBody, async (ctx) => {
    const found = await waiting(ctx);
    if (!found) return ix.expired(ctx);
    const { details, pending } = found;
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    const channel = ctx.params.channel === 'sms' ? 'sms' : ctx.params.channel === 'email' ? 'email' : null;
    const user = await users.findById(tenant.id, pending.accountId);
    const smsNumber = await deps.smsFactor.numberOf(tenant.id, pending.accountId);
    if (!channel || !user || !codeChannels(tenant, user, smsNumber)[channel]) return challenge(ctx, details, pending, { error: ix.t(ctx, 'mfa.channelUnavailable'), status: 400 });
    const wait = await factors.lockedFor(tenant.id, pending.accountId);
    if (wait) {
      ctx.set('Retry-After', String(wait));
      return challenge(ctx, details, pending, { error: ix.t(ctx, 'mfa.tooManyWrong', { count: Math.ceil(wait / 60) }), status: 429 });
    }
    const started = await deps.challenges.start({
      tenant, purpose: 'mfa', channel, identifier: channel === 'sms' ? (smsNumber ?? user.phone!) : user.email!, interactionUid: details.uid, deliverable: true,
      data: { userId: user.id, remember: field(ctx, 'remember') === 'on' }, request: sendingRequest(ctx), subject: user.id,
    });
    if (!started.ok) return challenge(ctx, details, pending, { error: tooManyCodes(ctx, started.retryAfterSeconds), status: 429 });
    return ix.seeOther(ctx, `/code/${started.challenge.id}`);
  });

  router.post('/totp', formBody, (ctx) => attempt(ctx, 'totp', (t, u, code) => factors.verifyTotp(t, u, code)));
  router.post('/recovery', formBody, (ctx) => attempt(ctx, 'recovery_code', (t, u, code) => factors.useRecoveryCode(t, u, code)));

  async function enrolPage(ctx: Context, details: Details, pending: PendingLogin, options: { error?: string; status?: number } = {}) {
    const tenant = ix.tenantOf(ctx);
    const user = await users.findById(tenant.id, pending.accountId);
    const label = { issuer: tenant.name, account: user?.email ?? user?.phone ?? tenant.name };
    // the authenticator being set up is the enrolment step's challenge in the login transaction
    const enrolment = await factors.totpEnrolment(tenant.id, pending.accountId, pending.tx.challengeId, label);
    if (enrolment.factorId !== pending.tx.challengeId) await gate.enrolling(details.uid, pending, enrolment.factorId);
    await ix.render(ctx, 'totp-enrol', {
      title: 'mfa.enrolTitle', status: options.status,
      data: {
        csrfToken: ix.csrfToken(details), error: options.error ?? null, qrDataUrl: enrolment.qrDataUrl, secret: enrolment.secret,
        required: true, action: `${ix.base(ctx)}/mfa/enrol`, backUrl: null, abortUrl: `${ix.base(ctx)}/abort`,
      },
    });
  }

  router.get('/enrol', async (ctx) => {
    const found = await waiting(ctx);
    if (!found || found.pending.tx.state !== 'enrolment_required') return ix.expired(ctx);
    return enrolPage(ctx, found.details, found.pending);
  });

  router.post('/enrol', formBody, async (ctx) => {
    const found = await waiting(ctx);
    if (!found || found.pending.tx.state !== 'enrolment_required') return ix.expired(ctx);
    const { details, pending } = found;
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    const factorId = pending.tx.challengeId;
    if (!factorId || !(await factors.confirmTotp(tenant.id, pending.accountId, factorId, field(ctx, 'code').slice(0, 16)))) {
      await audit.record({ tenantId: tenant.id, type: 'mfa.failed', subject: pending.accountId, ...requestInfo(ctx), outcome: 'failure', data: { factor: 'totp', enrolment: true } });
      return enrolPage(ctx, details, pending, { error: ix.t(ctx, 'totp.wrong'), status: 400 });
    }
    if (!(await gate.enrolled(details.uid, pending, { kind: 'totp', amr: ['otp'] }))) return ix.expired(ctx);
    await audit.record({ tenantId: tenant.id, type: 'mfa.enrolled', actor: pending.accountId, subject: pending.accountId, ...requestInfo(ctx), data: { factor: 'totp', atSignIn: true } });
    const codes = await factors.newRecoveryCodes(tenant.id, pending.accountId);
    await ix.render(ctx, 'recovery-codes', {
      title: 'recovery.title',
      data: { codes, csrfToken: ix.csrfToken(details), continueAction: `${ix.base(ctx)}/mfa/enrol/done`, backUrl: null },
    });
  });

  router.post('/enrol/done', formBody, async (ctx) => {
    const found = await waiting(ctx);
    if (!found) return ix.expired(ctx);
    ix.verifyCsrf(ctx, found.details);
    // the transaction completes when the authenticator is confirmed (POST /enrol); until then, back to setting it up
    if (found.pending.tx.state !== 'completed') return ix.seeOther(ctx, '/mfa/enrol');
    return gate.complete(ctx, found.pending, { kind: 'totp', amr: ['otp'] });
  });

  return router;
}
