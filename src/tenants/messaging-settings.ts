// How a tenant's messages leave: SMTP for email, an ordered SMS provider chain per country calling code, and
// the WhatsApp Cloud API. Credentials are stored sealed (tenant-secrets.ts); base URLs default to the vendors'.
import { z } from 'zod';

const sealed = z.string().regex(/^v1\./, 'must be sealed');
const url = z.url({ protocol: /^https?$/ });
const providerName = z.enum(['twilio', 'msg91', '2factor']);

export const messagingSettingsSchema = z.object({
  email: z.object({
    /** "Acme <no-reply@acme.test>"; falls back to the installation's EMAIL_FROM */
    from: z.string().min(3).max(254).nullable().default(null),
    /** smtp(s)://user:pass@host:port (sealed); falls back to the installation's SMTP_URL */
    smtpUrl: sealed.nullable().default(null),
  }).strict().prefault({}),
  sms: z.object({
    /** `default` and calling codes such as `+91`, each an ordered provider chain */
    routes: z.record(z.string().regex(/^(default|\+\d{1,6})$/), z.array(providerName).min(1).max(3)).default({ default: ['twilio'] }),
    timeoutMs: z.number().int().min(500).max(30_000).default(5000),
    twilio: z.object({
      accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
      authToken: sealed,
      from: z.string().min(2).max(32).nullable().default(null),
      messagingServiceSid: z.string().regex(/^MG[0-9a-fA-F]{32}$/).nullable().default(null),
      verifyServiceSid: z.string().regex(/^VA[0-9a-fA-F]{32}$/).nullable().default(null),
      /** with a Verify service: Twilio generates and checks the code */
      providerGeneratedCodes: z.boolean().default(false),
      baseUrl: url.default('https://api.twilio.com'),
      verifyBaseUrl: url.default('https://verify.twilio.com'),
    }).strict().nullable().default(null),
    msg91: z.object({
      authKey: sealed,
      templateId: z.string().min(1).max(64),
      // India DLT ids as issued by the DLT portal (numeric); MSG91 binds them to its template
      dltTemplateId: z.string().regex(/^\d{10,25}$/).nullable().default(null),
      entityId: z.string().regex(/^\d{10,25}$/).nullable().default(null),
      baseUrl: url.default('https://control.msg91.com'),
    }).strict().nullable().default(null),
    twoFactor: z.object({
      apiKey: sealed,
      templateName: z.string().min(1).max(64).nullable().default(null),
      baseUrl: url.default('https://2factor.in'),
    }).strict().nullable().default(null),
  }).strict().prefault({}),
  whatsapp: z.object({
    phoneNumberId: z.string().regex(/^\d{5,30}$/),
    accessToken: sealed,
    templateName: z.string().min(1).max(512).default('verification_code'),
    languageCode: z.string().min(2).max(16).default('en_US'),
    apiVersion: z.string().regex(/^v\d+\.\d+$/).default('v21.0'),
    baseUrl: url.default('https://graph.facebook.com'),
  }).strict().nullable().default(null),
}).strict();

export type MessagingSettings = z.output<typeof messagingSettingsSchema>;

