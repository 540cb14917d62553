// Starting, resending and checking a code (or link) challenge for any flow: send limits first, then a challenge,
// then delivery in the background. Every answer the browser gets is the same whether or not the email or phone
// belongs to an account: for an identifier that must not receive anything, the challenge is issued but nothing is
// sent ("not deliverable"), so its code can never be right.
import type { Logger } from 'pino';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Courier, CourierTenant, DeliveryOutcome } from '../../notifications/courier.js';
import { linkKinds, type CodePurpose, type LinkSignsIn } from '../../notifications/email/email-templates.js';
import type { TenantChannels } from '../../notifications/tenant-channels.js';
import { ChallengeGoneError, type Challenge, type ChallengeChannel, type CodeCheck, type OneTimeCodes } from './one-time-codes.js';
import type { SendLimits, SendRefusalReason } from './send-limits.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import { sandboxInForce } from '../../tenants/sandbox-behaviour.js';

/** the language the challenge was started in, if its page said */
const localeOf = (challenge: Challenge): Locale | undefined => (isLocale(challenge.data.locale) ? challenge.data.locale : undefined);
/** whom the challenge's link signs in (the magic-link method's `linkSignsIn`); a hosted page's link names none: the asker */
const linkSignsInOf = (challenge: Challenge): LinkSignsIn => linkKinds.find((kind) => kind === challenge.data.linkSignsIn) ?? 'asker';

export interface StartInput {
  tenant: CourierTenant;
  purpose: CodePurpose;
  channel: ChallengeChannel;
  identifier: string;
  /** the interaction or login transaction the code belongs to; null for a code answered by identifier (REST API) */
  interactionUid: string | null;
  /** false: issue the challenge but send nothing (unknown account, sign-up closed …) */
  deliverable: boolean;
  /** magic link: the URL the token is appended to */
  linkBase?: string;
  data?: Record<string, unknown>;
  /** locale: the language of the page that asked, kept with the challenge so that a resent code speaks it too */
  request: { ip: string; userAgent: string | null; locale?: Locale };
  /** audit subject: user id when known, else a pseudonym of the identifier */
  subject: string;
}

export type StartResult = { ok: true; challenge: Challenge } | { ok: false; retryAfterSeconds: number };

export interface CodeChallengesDeps {
  codes: OneTimeCodes;
  limits: SendLimits;
  courier: Courier;
  channels: TenantChannels;
  audit: AuditLog;
  logger: Logger;
  /** production detected: no fixed codes whatever the settings say (tenants/sandbox-behaviour.ts) */
  production: boolean;
  /** the codes' clock (ms); default Date.now */
  now?: () => number;
}

export function createCodeChallenges(deps: CodeChallengesDeps) {
  const now = deps.now ?? Date.now;
  const inFlight = new Set<Promise<unknown>>();

  function dispatch(tenant: CourierTenant, challenge: Challenge, code: string, link: string | null, request: StartInput['request'], subject: string) {
    const ttlMinutes = Math.max(1, Math.round((challenge.expiresAt - now()) / 60_000));
    // How the code went out is recorded inside the delivery, before it is recorded as sent (courier.ts): recorded
    // afterwards, a code typed as soon as the SMS arrived was checked as ours and counted wrong. Only what changes
    // the answer is written: a provider that checks the code, or a channel other than the one asked for.
    const onDelivered = async (outcome: DeliveryOutcome) => {
      if (!outcome.verification && outcome.channel === challenge.channel) return;
      await deps.codes.recordDelivery(challenge, { channel: outcome.channel as ChallengeChannel, verification: outcome.verification }).catch((error: unknown) => {
        // used or expired while the message travelled: nothing left to attach it to
        if (!(error instanceof ChallengeGoneError)) throw error;
      });
    };
    const job = deps.courier
      .deliverCode({ tenant, channel: challenge.channel, to: challenge.identifier, purpose: challenge.purpose, code, link, linkSignsIn: linkSignsInOf(challenge), ttlMinutes, locale: request.locale ?? localeOf(challenge), audit: { subject, ip: request.ip, userAgent: request.userAgent }, onDelivered })
      .catch((error: Error) => deps.logger.warn({ tenant: tenant.slug, reason: error.message }, 'code not delivered'))
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
  }

  async function refusal(tenant: CourierTenant, channel: ChallengeChannel, identifier: string, ip: string): Promise<{ reason: SendRefusalReason; wait: number } | null> {
    const decision = await deps.limits.take({ tenantId: tenant.id, identifier, ip, channel, limits: tenant.settings.signIn.limits });
    return decision.allowed ? null : { reason: decision.reason, wait: Math.max(1, decision.retryAfterSeconds) };
  }

  return {
    async start(input: StartInput): Promise<StartResult> {
      const { tenant } = input;
      const refused = await refusal(tenant, input.channel, input.identifier, input.request.ip);
      if (refused) {
        await deps.audit.record({ tenantId: tenant.id, type: 'otp.rate_limited', subject: input.subject, ip: input.request.ip, userAgent: input.request.userAgent, outcome: 'failure', data: { channel: input.channel, purpose: input.purpose, limit: refused.reason } });
        return { ok: false, retryAfterSeconds: refused.wait };
      }
      const { signIn } = tenant.settings;
      // sandbox only: a test recipient's own code, else the environment's debug code (issue #19; never live, never production)
      const fixedCode = sandboxInForce(tenant, deps.production) ? signIn.testRecipients[input.identifier] ?? signIn.debugCode ?? undefined : undefined;
      const { challenge, code, linkToken } = await deps.codes.issue({
        tenantId: tenant.id, purpose: input.purpose, channel: input.channel, identifier: input.identifier,
        interactionUid: input.interactionUid, codeLength: signIn.code.length,
        ttlSeconds: input.linkBase ? signIn.magicLinkTtlSeconds : signIn.code.ttlSeconds, maxAttempts: signIn.code.maxAttempts,
        withLink: !!input.linkBase, fixedCode, data: { ...input.data, deliverable: input.deliverable, ...(input.request.locale ? { locale: input.request.locale } : {}) },
      });
      if (input.deliverable) dispatch(tenant, challenge, code, linkToken && input.linkBase ? `${input.linkBase}${linkToken}` : null, input.request, input.subject);
      return { ok: true, challenge };
    },
    /** a new code for the same challenge, inside the send limits and after the cooldown */
    /** @returns gone when the challenge was used, locked or expired meanwhile */
    async resend(tenant: CourierTenant, challenge: Challenge, linkBase: string | null, request: StartInput['request'], subject: string): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number } | { ok: false; gone: true }> {
      const refused = await refusal(tenant, challenge.channel, challenge.identifier, request.ip);
      if (refused) {
        await deps.audit.record({ tenantId: tenant.id, type: 'otp.rate_limited', subject, ip: request.ip, userAgent: request.userAgent, outcome: 'failure', data: { channel: challenge.channel, purpose: challenge.purpose, limit: refused.reason, resend: true } });
        return { ok: false, retryAfterSeconds: refused.wait };
      }
      let reissued;
      try {
        reissued = await deps.codes.reissue(challenge, tenant.settings.signIn.code.resendCooldownSeconds);
      } catch (error) {
        if (error instanceof ChallengeGoneError) return { ok: false, gone: true };
        throw error;
      }
      if ('retryAfterSeconds' in reissued) return { ok: false, retryAfterSeconds: reissued.retryAfterSeconds };
      if (challenge.data.deliverable) {
        dispatch(tenant, reissued.challenge, reissued.code, reissued.linkToken && linkBase ? `${linkBase}${reissued.linkToken}` : null, request, subject);
      }
      return { ok: true };
    },
    /** checks a typed code, through the provider when it generated the code (Twilio Verify) */
    async verify(tenant: CourierTenant, challenge: Challenge, code: string): Promise<CodeCheck> {
      const check = challenge.providerVerification;
      if (!check) return deps.codes.verifyCode(tenant.id, challenge.id, code);
      const provider = deps.channels.sms(tenant.id, tenant.settings.messaging)?.providerFor(check.provider as 'twilio');
      if (!provider?.check) return deps.codes.verifyThroughProvider(tenant.id, challenge.id, async () => 'wrong');
      const ask = provider.check.bind(provider);
      return deps.codes.verifyThroughProvider(tenant.id, challenge.id, () => ask(check.ref, challenge.identifier, code, AbortSignal.timeout(tenant.settings.messaging.sms.timeoutMs))
        .catch((error: Error) => {
          deps.logger.warn({ tenant: tenant.slug, reason: error.message }, 'provider code check failed');
          return 'wrong' as const;
        }));
    },
    /** resolves when every background delivery started so far has finished (shutdown, tests) */
    async settle(): Promise<void> {
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type CodeChallenges = ReturnType<typeof createCodeChallenges>;
