// What an accepted code or link does, by the purpose it was issued for: sign in (creating the account on a
// passwordless first sign-in when the tenant allows sign-up), finish an email + password sign-up, verify an
// existing account's email, or open the password-reset step.
import type { Context } from 'koa';
import type { UserRecord } from '../db/users.repository.js';
import type { Details } from '../interactions/interaction-context.js';
import { revokeAccount } from '../oidc/account-revocation.js';
import type { AuthMethodDeps } from './auth-method-deps.js';
import { requestInfo } from '../http/request-info.js';
import type { Challenge } from './one-time-codes/one-time-codes.js';
import type { MfaGate } from './mfa/mfa-gate.js';
import { accountForCode, amrOfCode as amrOf, proveEmail } from './one-time-codes/code-sign-in.js';
import { accountForSignUp } from './sign-up/sign-up-account.js';
import type { ResetPermissions } from './password-reset/reset-permission.js';

export function createChallengeCompletion(deps: AuthMethodDeps, gate: MfaGate, resets: ResetPermissions) {
  const { ix, users, audit } = deps;

  async function signIn(ctx: Context, user: UserRecord, challenge: Challenge, method: string, amr: string[]) {
    const tenant = ix.tenantOf(ctx);
    if (user.disabled) {
      // the same answer a wrong password gets: a disabled account reveals nothing more
      await audit.record({ tenantId: tenant.id, type: 'login.failed', subject: user.id, ...requestInfo(ctx), outcome: 'failure', data: { method, reason: 'disabled' } });
      return ix.render(ctx, 'notice', { title: 'error.failedTitle', status: 401, data: { heading: ix.t(ctx, 'error.failedHeading'), message: ix.t(ctx, 'error.failedLead'), backUrl: null } });
    }
    await audit.record({ tenantId: tenant.id, type: 'login.succeeded', actor: user.id, subject: user.id, ...requestInfo(ctx), data: { method, channel: challenge.channel } });
    return ix.finish(ctx, { login: { accountId: user.id, amr, remember: true } });
  }

  const revokerFor = (ctx: Context) => (userId: string) => revokeAccount(ctx.state.provider!, deps.oidcModels, ix.tenantOf(ctx).id, userId);
  const emailProven = (ctx: Context, user: UserRecord) => proveEmail(deps, ix.tenantOf(ctx).id, user, requestInfo(ctx), revokerFor(ctx));

  return {
    /** @param details the interaction of this browser; a reset link opened elsewhere passes null */
    async complete(ctx: Context, details: Details | null, challenge: Challenge): Promise<void> {
      const tenant = ix.tenantOf(ctx);
      await audit.record({ tenantId: tenant.id, type: 'otp.verified', subject: audit.pseudonym(tenant.id, challenge.identifier), ...requestInfo(ctx), data: { channel: challenge.channel, purpose: challenge.purpose } });

      if (challenge.purpose === 'reset') {
        // the token travels in the form's URL; the store keeps only its hash (reset-permission.ts)
        if (typeof challenge.data.userId !== 'string' || !challenge.interactionUid) return ix.expired(ctx);
        const token = await resets.grant(tenant.id, { userId: challenge.data.userId, interactionUid: challenge.interactionUid, email: challenge.identifier });
        ctx.status = 303;
        ctx.redirect(`/t/${tenant.slug}/interaction/${challenge.interactionUid}/reset/password?p=${token}`);
        return;
      }
      if (!details) return ix.expired(ctx);

      // a code by SMS or email as the second factor of a sign-in waiting at the MFA gate (issue #5)
      if (challenge.purpose === 'mfa') {
        const pending = await gate.pending(tenant.id, details.uid);
        if (!pending || pending.accountId !== challenge.data.userId) return ix.expired(ctx);
        return gate.complete(ctx, pending, { kind: challenge.channel === 'sms' ? 'sms' : 'email', amr: amrOf(challenge), remember: challenge.data.remember === true });
      }

      if (challenge.purpose === 'signup') {
        const user = await accountForSignUp(deps, { tenantId: tenant.id, challenge, request: requestInfo(ctx), revoke: revokerFor(ctx) });
        if (!user) return ix.expired(ctx);
        return signIn(ctx, user, challenge, 'signup', ['pwd', 'otp']);
      }

      if (challenge.purpose === 'verify') {
        const user = typeof challenge.data.userId === 'string' ? await users.findById(tenant.id, challenge.data.userId) : null;
        if (!user) return ix.expired(ctx);
        return signIn(ctx, await emailProven(ctx, user), challenge, 'password', ['pwd', 'otp']);
      }

      const account = await accountForCode(deps, { tenantId: tenant.id, challenge, allowSignUp: tenant.settings.signIn.signUp, request: requestInfo(ctx), revoke: revokerFor(ctx) });
      if (!account) return ix.expired(ctx);
      return signIn(ctx, account.user, challenge, challenge.data.link ? 'magic_link' : `${challenge.channel}_code`, amrOf(challenge));
    },
  };
}

export type ChallengeCompletion = ReturnType<typeof createChallengeCompletion>;
