// A link by email as a way in (AuthMethod). Its proof is the browser that asked opening the link
// (magic-link.routes.ts), so it has no `verify` a caller could hand a secret to; the code in the same email is the
// email-code method's. On the hosted page it is the "Email me a link" button of the email form.
import type { CourierTenant } from '../../notifications/courier.js';
import type { AuthMethod } from '../auth-method.js';

export function createMagicLinkMethod(offered: (tenant: CourierTenant) => boolean): AuthMethod {
  return {
    id: 'magic_link',
    amr: ['otp'],
    factor: 'first',
    availableFor: offered,
    loginPage: { flag: 'magicLink', path: '/magic-link', label: 'login.magicLink' },
  };
}
