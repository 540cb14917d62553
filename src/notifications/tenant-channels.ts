// Builds a tenant's senders from its messaging settings, opening the sealed credentials only here, at send time.
import type { Sealer } from '../crypto/sealing.js';
import type { OutboundGuard } from '../net/outbound-guard.js';
import type { MessagingSettings } from '../tenants/messaging-settings.js';
import { secretContext } from '../tenants/tenant-settings-update.js';
import { createSmtpSender, type EmailSender } from './email/email-sender.js';
import { createMsg91SmsProvider } from './sms/msg91.sms.js';
import type { SmsProvider, SmsProviderName } from './sms/sms-provider.js';
import { createSmsRouter, type SmsRouter } from './sms/sms-router.js';
import { createTwilioSmsProvider } from './sms/twilio.sms.js';
import { createTwoFactorSmsProvider } from './sms/two-factor.sms.js';
import { createWhatsAppSender, type WhatsAppSender } from './whatsapp/whatsapp-sender.js';

export interface TenantChannelsDeps {
  sealer: Sealer;
  /** every tenant-configured destination is reached through it; the installation's SMTP_URL is not tenant-configured */
  outbound: OutboundGuard;
  /** the installation's SMTP server (SMTP_URL), used when a tenant has none of its own */
  defaultSmtpUrl: string | null;
}

export function createTenantChannels(deps: TenantChannelsDeps) {
  const smtp = new Map<string, EmailSender>();
  const open = (tenantId: string, path: string, sealed: string) => deps.sealer.open(sealed, secretContext(tenantId, path));

  return {
    /** the tenant's SMTP sender, or null when neither it nor the installation has SMTP */
    email(tenantId: string, settings: MessagingSettings): EmailSender | null {
      const own = settings.email.smtpUrl ? open(tenantId, 'messaging.email.smtpUrl', settings.email.smtpUrl) : null;
      const url = own ?? deps.defaultSmtpUrl;
      if (!url) return null;
      const key = `${own ? 'tenant' : 'installation'} ${url}`;
      let sender = smtp.get(key);
      if (!sender) {
        const guard = own ? { getSocket: deps.outbound.smtpSocket, requireTls: deps.outbound.policy === 'public-https' } : undefined;
        smtp.set(key, (sender = createSmtpSender({ url, guard })));
      }
      return sender;
    },
    /** the tenant's SMS chain, or null when no provider of any route is configured */
    sms(tenantId: string, settings: MessagingSettings): SmsRouter | null {
      const { twilio, msg91, twoFactor } = settings.sms;
      const providers: Partial<Record<SmsProviderName, SmsProvider>> = {};
      if (twilio && (twilio.from || twilio.messagingServiceSid || twilio.verifyServiceSid)) {
        providers.twilio = createTwilioSmsProvider({
          accountSid: twilio.accountSid,
          authToken: open(tenantId, 'messaging.sms.twilio.authToken', twilio.authToken),
          from: twilio.from ?? undefined,
          messagingServiceSid: twilio.messagingServiceSid ?? undefined,
          verify: twilio.verifyServiceSid ? { serviceSid: twilio.verifyServiceSid, providerGeneratedCodes: twilio.providerGeneratedCodes } : undefined,
          apiBaseUrl: twilio.baseUrl,
          verifyBaseUrl: twilio.verifyBaseUrl,
          fetch: deps.outbound.fetch,
        });
      }
      if (msg91) {
        providers.msg91 = createMsg91SmsProvider({
          authKey: open(tenantId, 'messaging.sms.msg91.authKey', msg91.authKey),
          templateId: msg91.templateId,
          dltTemplateId: msg91.dltTemplateId ?? undefined,
          entityId: msg91.entityId ?? undefined,
          baseUrl: msg91.baseUrl,
          fetch: deps.outbound.fetch,
        });
      }
      if (twoFactor) {
        providers['2factor'] = createTwoFactorSmsProvider({
          apiKey: open(tenantId, 'messaging.sms.twoFactor.apiKey', twoFactor.apiKey),
          templateName: twoFactor.templateName ?? undefined,
          baseUrl: twoFactor.baseUrl,
          fetch: deps.outbound.fetch,
        });
      }
      if (!Object.keys(providers).length) return null;
      return createSmsRouter({ providers, routes: settings.sms.routes, timeoutMs: settings.sms.timeoutMs });
    },
    whatsapp(tenantId: string, settings: MessagingSettings): WhatsAppSender | null {
      const wa = settings.whatsapp;
      if (!wa) return null;
      return createWhatsAppSender({
        accessToken: open(tenantId, 'messaging.whatsapp.accessToken', wa.accessToken),
        phoneNumberId: wa.phoneNumberId,
        templateName: wa.templateName,
        languageCode: wa.languageCode,
        apiVersion: wa.apiVersion,
        baseUrl: wa.baseUrl,
        fetch: deps.outbound.fetch,
      });
    },
    async close(): Promise<void> {
      await Promise.allSettled([...smtp.values()].map((sender) => sender.close()));
      smtp.clear();
    },
  };
}

export type TenantChannels = ReturnType<typeof createTenantChannels>;
