// A code by SMS or WhatsApp as a way in (AuthMethod, one per channel): the shared code method
// (one-time-codes/code.method.ts). On the hosted page both are the one "phone" button (phone-code.routes.ts), where
// the user picks the channel. A code delivered by SMS proves `sms`, by WhatsApp `otp` (RFC 8176).
import type { CourierTenant } from '../../notifications/courier.js';
import type { LoginPageEntry } from '../auth-method.js';
import { createCodeMethod, type CodeMethod, type CodeMethodDeps } from '../one-time-codes/code.method.js';

const phonePage: LoginPageEntry = { flag: 'phone', path: '/phone', label: 'login.phone' };

export function createPhoneCodeMethod(deps: CodeMethodDeps, channel: 'sms' | 'whatsapp', offered: (tenant: CourierTenant) => boolean): CodeMethod {
  return createCodeMethod(deps, { id: `${channel}_otp`, channel, amr: channel === 'sms' ? ['sms'] : ['otp'], availableFor: offered, loginPage: phonePage });
}
