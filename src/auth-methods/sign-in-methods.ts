// Which ways in a tenant's login page offers: what the tenant switched on, and — in production, where no outbox
// stands in (not for a sandbox either: tenants/sandbox-behaviour.ts) — only what can actually be delivered.
import type { CourierTenant } from '../notifications/courier.js';
import type { TenantChannels } from '../notifications/tenant-channels.js';
import { outboxKept } from '../tenants/sandbox-behaviour.js';

export interface AvailableMethods {
  password: boolean;
  emailOtp: boolean;
  magicLink: boolean;
  sms: boolean;
  whatsapp: boolean;
  /** the phone page (SMS and/or WhatsApp) */
  phone: boolean;
  /** the email + password sign-up page */
  signUp: boolean;
  passwordReset: boolean;
}

export function availableMethods(tenant: CourierTenant, channels: TenantChannels, env: string): AvailableMethods {
  const { signIn, messaging } = tenant.settings;
  const outbox = outboxKept(env);
  const email = outbox || !!channels.email(tenant.id, messaging);
  const sms = signIn.methods.smsOtp && (outbox || !!channels.sms(tenant.id, messaging));
  const whatsapp = signIn.methods.whatsappOtp && (outbox || !!channels.whatsapp(tenant.id, messaging));
  return {
    password: signIn.methods.password,
    emailOtp: signIn.methods.emailOtp && email,
    magicLink: signIn.methods.magicLink && email,
    sms,
    whatsapp,
    phone: sms || whatsapp,
    signUp: signIn.signUp && signIn.methods.password && email,
    passwordReset: signIn.methods.password && email,
  };
}
