// Passwordless by phone: a code by SMS (through the tenant's provider chain) or by WhatsApp (falling back to SMS
// when the tenant allows). Numbers are normalised to E.164; the answer is the same for known and unknown numbers.
import Router from '@koa/router';
import type { Context } from 'koa';
import { field, formBody, type Details } from '../../interactions/interaction-context.js';
import { normalisePhone } from '../../validation/phone-number.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { sendingRequest, tooManyCodes } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { LoginPage } from '../login-page.js';

export function phoneCodeRoutes(deps: AuthMethodDeps, loginPage: LoginPage) {
  const { ix, users, challenges, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid/phone' });

  async function render(ctx: Context, details: Details, options: { phone?: string; error?: string | null; status?: number } = {}) {
    const methods = loginPage.methods(ix.tenantOf(ctx));
    await ix.render(ctx, 'phone', {
      title: 'phone.title',
      status: options.status,
      data: { action: `${ix.base(ctx)}/phone`, csrfToken: ix.csrfToken(details), phone: options.phone ?? '', error: options.error ?? null, channels: { sms: methods.sms, whatsapp: methods.whatsapp }, backUrl: ix.base(ctx) },
    });
  }

  const loginPrompt = (ctx: Context) => loginPage.opened(ctx, 'phone', 'error.methodUnavailable');

  router.get('/', async (ctx) => {
    const details = await loginPrompt(ctx);
    if (details) await render(ctx, details);
  });

  router.post('/', formBody, async (ctx) => {
    const details = await loginPrompt(ctx);
    if (!details) return;
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    const methods = loginPage.methods(tenant);
    const channel = field(ctx, 'channel') === 'whatsapp' ? 'whatsapp' : 'sms';
    if (!(channel === 'whatsapp' ? methods.whatsapp : methods.sms)) return render(ctx, details, { error: ix.t(ctx, 'phone.channelUnavailable'), status: 400 });
    const typed = field(ctx, 'phone').slice(0, 32);
    const phone = normalisePhone(typed);
    if (!phone) return render(ctx, details, { phone: typed, error: ix.t(ctx, 'phone.invalid'), status: 400 });

    const user = await users.findByPhone(tenant.id, phone);
    const result = await challenges.start({
      tenant, purpose: 'login', channel, identifier: phone, interactionUid: details.uid,
      deliverable: user ? !user.disabled : tenant.settings.signIn.signUp,
      data: { signUp: !user }, request: sendingRequest(ctx), subject: user?.id ?? audit.pseudonym(tenant.id, phone),
    });
    if (!result.ok) return render(ctx, details, { phone: typed, error: tooManyCodes(ctx, result.retryAfterSeconds), status: 429 });
    ix.seeOther(ctx, `/code/${result.challenge.id}`);
  });

  return router;
}
