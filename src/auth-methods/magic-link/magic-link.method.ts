// A link by email as a way in (AuthMethod), with the code of the same email as its fallback. `start` sends both to
// the address (send limits, hashed single-use token and code, the magic-link TTL: code-challenges.ts) with the link
// leading to `linkTo`: the hosted page's /magic/ route, or an app's registered redirect URI (REST API). `verify`
// takes either the code typed where the sign-in began (with the transaction's challenge id, as the email-code
// method) or the link's token (no challenge id): the token names its challenge, which must belong to the
// transaction the caller found for it. A token works once; whoever presents it is the browser that opened the link,
// never the one that asked (issue #13 finding 1). On the hosted page it is the "Email me a link" button of the email
// form, whose routes (magic-link.routes.ts) bind the link to the asking browser's interaction cookie.
import type { CourierTenant } from '../../notifications/courier.js';
import type { AuthMethod, MethodVerifyOutcome } from '../auth-method.js';
import { createCodeMethod, type CodeMethodDeps } from '../one-time-codes/code.method.js';
import { accountForCode } from '../one-time-codes/code-sign-in.js';
import { normaliseEmail } from '../../validation/email-address.js';

export interface MagicLinkMethod extends AuthMethod {
  start: NonNullable<AuthMethod['start']>;
  verify: NonNullable<AuthMethod['verify']>;
}

const gone: MethodVerifyOutcome = { ok: false, error: 'expired' };

export function createMagicLinkMethod(deps: CodeMethodDeps, offered: (tenant: CourierTenant) => boolean): MagicLinkMethod {
  const loginPage = { flag: 'magicLink', path: '/magic-link', label: 'login.magicLink' };
  // the code of the same email is checked as any email code (per-code, per-identifier and per-IP attempt limits)
  const byCode = createCodeMethod(deps, { id: 'magic_link', channel: 'email', amr: ['otp'], availableFor: offered, loginPage });
  const allowSignUp = (tenant: CourierTenant, asked: boolean | undefined) => asked ?? tenant.settings.signIn.signUp;

  return {
    id: 'magic_link',
    amr: ['otp'],
    factor: 'first',
    availableFor: offered,
    loginPage,

    /** @throws RangeError without `linkTo` (a link needs somewhere to lead) */
    async start({ tenant, identifier: typed, transactionId, request, allowSignUp: asked, linkTo }) {
      if (!linkTo) throw new RangeError('a magic link needs linkTo');
      const email = normaliseEmail(typed.slice(0, 254));
      if (!email) return { ok: false, error: 'invalid_identifier' };
      const user = await deps.users.findByEmail(tenant.id, email);
      const started = await deps.challenges.start({
        tenant, purpose: 'login', channel: 'email', identifier: email, interactionUid: transactionId,
        deliverable: user ? !user.disabled : allowSignUp(tenant, asked), linkBase: linkTo.base,
        data: { signUp: !user, link: true, linkSignsIn: linkTo.signsIn }, request,
        subject: user?.id ?? deps.audit.pseudonym(tenant.id, email),
      });
      if (!started.ok) return { ok: false, error: 'rate_limited', retryAfterSeconds: started.retryAfterSeconds };
      return { ok: true, challengeId: started.challenge.id, expiresAt: started.challenge.expiresAt, identifier: { kind: 'email', value: email } };
    },

    async verify(input) {
      if (input.challengeId) return byCode.verify(input);
      const { tenant, secret: token, transactionId, request } = input;
      const challenge = await deps.codes.findByLink(tenant.id, token);
      if (!challenge || !challenge.data.link || challenge.purpose !== 'login' || !transactionId || challenge.interactionUid !== transactionId) return gone;
      if (!(await deps.codes.consume(challenge))) return gone;
      await deps.audit.record({ tenantId: tenant.id, type: 'otp.verified', subject: deps.audit.pseudonym(tenant.id, challenge.identifier), ...request, data: { channel: 'email', purpose: 'login', link: true } });
      const account = await accountForCode(deps, { tenantId: tenant.id, challenge, allowSignUp: allowSignUp(tenant, input.allowSignUp), request, revoke: (userId) => deps.revokeAccount(tenant, userId) });
      // no account and none may be made (the link was never sent): the same answer as a used link
      if (!account || account.user.disabled) return gone;
      return { ok: true, userId: account.user.id, identifier: { kind: 'email', value: challenge.identifier }, amr: ['otp'], signUp: account.created };
    },
  };
}
