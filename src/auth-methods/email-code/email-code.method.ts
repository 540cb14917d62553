// A code by email as a way in (AuthMethod): the shared code method (one-time-codes/code.method.ts) on the email
// channel. On the hosted page it is the "Email me a code" button of the email form (email-code.routes.ts).
import type { CourierTenant } from '../../notifications/courier.js';
import { createCodeMethod, type CodeMethod, type CodeMethodDeps } from '../one-time-codes/code.method.js';

export function createEmailCodeMethod(deps: CodeMethodDeps, offered: (tenant: CourierTenant) => boolean): CodeMethod {
  return createCodeMethod(deps, { id: 'email_otp', channel: 'email', amr: ['otp'], availableFor: offered, loginPage: { flag: 'emailOtp', path: '/email-code', label: 'login.emailCode' } });
}
