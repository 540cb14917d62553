// The courier: turns "send this code" into a message on the right channel for a tenant. It decides between the
// outbox (development and test record every message with its code; sandbox environments send nothing else) and real delivery (the tenant's
// or installation's SMTP, the SMS chain, WhatsApp with SMS fallback), and records every send and failure for the
// audit log. Callers run it in the background: an answer that waited for delivery would reveal which accounts exist.
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Branding } from '../tenants/branding.js';
import type { TenantSettings } from '../tenants/tenant-settings.js';
import { outboxKept, sandboxInForce } from '../tenants/sandbox-behaviour.js';
import { renderAccountExistsEmail, renderCodeEmail, renderPasswordChangedEmail, renderVerificationLinkEmail, smsText, type CodePurpose, type LinkSignsIn, type RenderedEmail } from './email/email-templates.js';
import type { Outbox } from './outbox.js';
import { translator, type Locale } from '../i18n/i18n.js';
import { auditCode, ProviderError } from './provider-error.js';
import { DeliveryFailed, type DeliveryAttempt } from './sms/sms-router.js';
import type { TenantChannels } from './tenant-channels.js';

export type Channel = 'email' | 'sms' | 'whatsapp';

export interface CourierTenant {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly branding: Branding;
  readonly settings: TenantSettings;
}

export interface CodeDelivery {
  tenant: CourierTenant;
  channel: Channel;
  /** normalised email or E.164 phone */
  to: string;
  purpose: CodePurpose;
  code: string;
  link: string | null;
  /** whom a sign-in link signs in (the email says so): the browser that asked by default */
  linkSignsIn?: LinkSignsIn;
  ttlMinutes: number;
  /** the language of the sign-in that asked (its ui_locales, else Accept-Language); else the tenant's default */
  locale?: Locale;
  /** for the audit log: user id or identifier pseudonym, and the request's origin */
  audit: { subject: string; ip: string | null; userAgent: string | null };
  /**
   * Called as soon as an SMS or WhatsApp provider has taken the message, before the send is recorded: the challenge
   * must know whom to ask (Twilio Verify generates and checks the code itself) and by which channel the code went
   * (WhatsApp falling back to SMS) before anyone can type that code.
   */
  onDelivered?(outcome: DeliveryOutcome): Promise<void>;
}

export interface DeliveryOutcome {
  channel: Channel;
  provider: string | null;
  /** set when the provider generated the code and must check it (Twilio Verify) */
  verification: { provider: string; ref: string } | null;
}

export class NotConfigured extends Error {
  override name = 'NotConfigured';
}

export interface CourierDeps {
  env: 'development' | 'production' | 'test';
  /** production detected (config/development-mode.ts): no tenant is a sandbox there, whatever it saved */
  production: boolean;
  emailFrom: string | null;
  publicHost: string;
  channels: TenantChannels;
  outbox: Outbox;
  audit: AuditLog;
  logger: Logger;
}

/** the words of a message to this tenant's user: in `locale` when the sign-in said, else the tenant's language */
const wordsFor = (tenant: CourierTenant, locale: Locale | undefined) =>
  translator(locale ?? tenant.settings.texts.defaultLocale, tenant.settings.texts.overrides);

const brandOf = (tenant: CourierTenant) => ({ name: tenant.name, logoUrl: tenant.branding.logoUrl, primaryColor: tenant.branding.primaryColor });

export function createCourier(deps: CourierDeps) {
  // outside production every message is recorded; a sandbox in force (never in production) also skips its vendors
  const usesOutbox = outboxKept(deps.env);
  const sandbox = (tenant: CourierTenant) => sandboxInForce(tenant, deps.production);
  // A configured sender is used as given; otherwise the tenant's name goes in `fromName`, which the SMTP sender
  // encodes so that no tenant name can change the sending address.
  const fromOf = (tenant: CourierTenant) => {
    const configured = tenant.settings.messaging.email.from ?? deps.emailFrom;
    return configured ? { from: configured } : { from: `no-reply@${deps.publicHost}`, fromName: tenant.name };
  };

  async function sendEmail(delivery: CodeDelivery): Promise<DeliveryOutcome> {
    const { tenant } = delivery;
    const email = await renderCodeEmail({ brand: brandOf(tenant), purpose: delivery.purpose, code: delivery.code, link: delivery.link ?? undefined, linkSignsIn: delivery.linkSignsIn, ttlMinutes: delivery.ttlMinutes, words: wordsFor(tenant, delivery.locale) });
    const sender = sandbox(tenant) ? null : deps.channels.email(tenant.id, tenant.settings.messaging);
    let provider: string | null = null;
    if (sender) {
      await sender.send({ ...fromOf(tenant), to: delivery.to, ...email });
      provider = 'smtp';
    } else if (!usesOutbox) {
      throw new NotConfigured('no SMTP server is configured for this tenant or the installation (SMTP_URL)');
    }
    if (usesOutbox) {
      await deps.outbox.record(tenant.id, { channel: 'email', to: delivery.to, subject: email.subject, text: email.text, code: delivery.code, link: delivery.link, provider, delivered: !!provider });
    }
    return { channel: 'email', provider, verification: null };
  }

  async function sendSms(delivery: CodeDelivery, attempts: DeliveryAttempt[]): Promise<DeliveryOutcome> {
    const { tenant } = delivery;
    const words = wordsFor(tenant, delivery.locale);
    const text = smsText({ brandName: tenant.name, purpose: delivery.purpose, code: delivery.code, ttlMinutes: delivery.ttlMinutes, words });
    const router = sandbox(tenant) ? null : deps.channels.sms(tenant.id, tenant.settings.messaging);
    let outcome: DeliveryOutcome = { channel: 'sms', provider: null, verification: null };
    if (router) {
      try {
        const sent = await router.send({ to: delivery.to, code: delivery.code, text, ttlMinutes: delivery.ttlMinutes });
        attempts.push(...sent.attempts);
        outcome = { channel: 'sms', provider: sent.provider, verification: sent.verification ?? null };
      } catch (error) {
        if (error instanceof DeliveryFailed) attempts.push(...error.attempts);
        throw error;
      }
      // Before the outbox and audit writes, not after the delivery: a code typed the moment the SMS arrives must
      // already go to the provider's check, not be compared with ours and counted as a wrong attempt.
      await delivery.onDelivered?.(outcome);
    } else if (!usesOutbox) {
      throw new NotConfigured('no SMS provider is configured for this tenant');
    }
    if (usesOutbox) {
      // A provider-generated code (Twilio Verify) never passes through us: the outbox cannot show it.
      const code = outcome.verification ? null : delivery.code;
      await deps.outbox.record(tenant.id, { channel: 'sms', to: delivery.to, subject: null, text: code ? text : text.replace(delivery.code, words.t('sms.byProvider')), code, link: null, provider: outcome.provider, delivered: !!outcome.provider });
    }
    return outcome;
  }

  async function sendWhatsApp(delivery: CodeDelivery, attempts: DeliveryAttempt[]): Promise<DeliveryOutcome> {
    const { tenant } = delivery;
    const recorded = wordsFor(tenant, delivery.locale).t('sms.whatsapp', { brand: tenant.name, code: delivery.code });
    const sender = sandbox(tenant) ? null : deps.channels.whatsapp(tenant.id, tenant.settings.messaging);
    if (!sender) {
      if (!usesOutbox) throw new NotConfigured('WhatsApp is not configured for this tenant');
      await deps.outbox.record(tenant.id, { channel: 'whatsapp', to: delivery.to, subject: null, text: recorded, code: delivery.code, link: null, provider: null, delivered: false });
      return { channel: 'whatsapp', provider: null, verification: null };
    }
    const started = performance.now();
    try {
      await sender.send({ to: delivery.to, code: delivery.code }, AbortSignal.timeout(tenant.settings.messaging.sms.timeoutMs));
      attempts.push({ provider: 'whatsapp', ok: true, ms: Math.round(performance.now() - started) });
      await delivery.onDelivered?.({ channel: 'whatsapp', provider: 'whatsapp', verification: null });
    } catch (error) {
      const details = error instanceof ProviderError ? error.details : undefined;
      attempts.push({ provider: 'whatsapp', ok: false, error: (error as Error).message, code: details?.code, ms: Math.round(performance.now() - started) });
      if (!tenant.settings.signIn.whatsappSmsFallback) throw error;
      return sendSms(delivery, attempts);
    }
    if (usesOutbox) {
      await deps.outbox.record(tenant.id, { channel: 'whatsapp', to: delivery.to, subject: null, text: recorded, code: delivery.code, link: null, provider: 'whatsapp', delivered: true });
    }
    return { channel: 'whatsapp', provider: 'whatsapp', verification: null };
  }

  /** an email without a code, sent best effort: failures are logged, not thrown */
  async function sendNotice(tenant: CourierTenant, to: string, kind: string, render: () => Promise<RenderedEmail>): Promise<void> {
    try {
      const email = await render();
      const sender = sandbox(tenant) ? null : deps.channels.email(tenant.id, tenant.settings.messaging);
      if (sender) await sender.send({ ...fromOf(tenant), to, ...email });
      if (usesOutbox) await deps.outbox.record(tenant.id, { channel: 'email', to, subject: email.subject, text: email.text, code: null, link: null, provider: sender ? 'smtp' : null, delivered: !!sender });
    } catch (error) {
      deps.logger.warn({ tenant: tenant.slug, kind, reason: (error as Error).message }, 'notice not sent');
    }
  }

  return {
    /** @throws NotConfigured, DeliveryFailed, ProviderError — each already recorded for the audit log */
    async deliverCode(delivery: CodeDelivery): Promise<DeliveryOutcome> {
      const attempts: DeliveryAttempt[] = [];
      const base = { tenantId: delivery.tenant.id, subject: delivery.audit.subject, ip: delivery.audit.ip, userAgent: delivery.audit.userAgent };
      try {
        const outcome = delivery.channel === 'email' ? await sendEmail(delivery)
          : delivery.channel === 'sms' ? await sendSms(delivery, attempts)
            : await sendWhatsApp(delivery, attempts);
        await deps.audit.record({ ...base, type: 'otp.sent', data: { channel: outcome.channel, requested: delivery.channel, provider: outcome.provider, purpose: delivery.purpose, attempts: attempts.map(({ provider, ok, code }) => ({ provider, ok, code: auditCode(code) })) } });
        return outcome;
      } catch (error) {
        await deps.audit.record({ ...base, type: 'otp.delivery_failed', outcome: 'failure', data: { channel: delivery.channel, purpose: delivery.purpose, reason: (error as Error).name, attempts: attempts.map(({ provider, ok, code }) => ({ provider, ok, code: auditCode(code) })) } });
        deps.logger.warn({ tenant: delivery.tenant.slug, channel: delivery.channel, reason: (error as Error).message }, 'code delivery failed');
        throw error;
      }
    },
    /**
     * Sends the link that verifies a user's address (an operator asked: the console waits for the answer).
     * @throws NotConfigured when no SMTP server is configured outside the outbox's reach; the SMTP sender's errors
     */
    async verificationLink(input: { tenant: CourierTenant; to: string; link: string; ttlMinutes: number; locale?: Locale }): Promise<void> {
      const { tenant } = input;
      const email = await renderVerificationLinkEmail({ brand: brandOf(tenant), link: input.link, ttlMinutes: input.ttlMinutes, words: wordsFor(tenant, input.locale) });
      const sender = sandbox(tenant) ? null : deps.channels.email(tenant.id, tenant.settings.messaging);
      if (sender) await sender.send({ ...fromOf(tenant), to: input.to, ...email });
      else if (!usesOutbox) throw new NotConfigured('no SMTP server is configured for this tenant or the installation (SMTP_URL)');
      if (usesOutbox) await deps.outbox.record(tenant.id, { channel: 'email', to: input.to, subject: email.subject, text: email.text, code: null, link: input.link, provider: sender ? 'smtp' : null, delivered: !!sender });
    },
    /** tells a user their password changed (best effort: failures are logged, not thrown) */
    passwordChanged: (tenant: CourierTenant, to: string, ip: string | null, locale?: Locale): Promise<void> =>
      sendNotice(tenant, to, 'password-changed', () => renderPasswordChangedEmail({ brand: brandOf(tenant), when: new Date(), ip, words: wordsFor(tenant, locale) })),
    /** tells the owner of an address that a sign-up was tried with it (best effort, as passwordChanged) */
    accountExists: (tenant: CourierTenant, to: string, locale?: Locale): Promise<void> =>
      sendNotice(tenant, to, 'account-exists', () => renderAccountExistsEmail({ brand: brandOf(tenant), words: wordsFor(tenant, locale) })),
  };
}

export type Courier = ReturnType<typeof createCourier>;
