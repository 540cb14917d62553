// The pages oidc-provider renders itself — errors shown to the browser, logout confirmation, signed-out —
// in the tenant's branding. A resume after the interaction expired gets the "sign-in expired" page.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Context } from 'koa';
import type { ProviderPages } from '../oidc/provider-config.js';
import type { Pages } from '../http/pages.js';

function clientName(ctx: KoaContextWithOIDC): string | null {
  return ctx.oidc?.client?.clientName ?? ctx.oidc?.client?.clientId ?? null;
}

export function createProviderPages(pages: Pages): ProviderPages {
  const tenantOf = (ctx: KoaContextWithOIDC) => (ctx as unknown as Context).state.tenant ?? null;
  return {
    async renderError(ctx, out, error) {
      const status = ctx.status;
      const koa = ctx as unknown as Context;
      if (error.name === 'SessionNotFound') {
        await pages.render(koa, 'expired', { tenant: tenantOf(ctx), title: 'Sign-in expired', status, data: { backUrl: null } });
        return;
      }
      const description = typeof out.error_description === 'string' ? out.error_description : 'The sign-in request was not valid.';
      await pages.render(koa, 'error', {
        tenant: tenantOf(ctx), title: 'Sign-in could not continue', status,
        // The RFC 6749 code is what the app's developer looks up; the description alone is not always enough.
        data: { heading: 'Sign-in could not continue', message: description, code: typeof out.error === 'string' ? out.error : null, requestId: koa.state.requestId ?? null, backUrl: null },
      });
    },
    async logoutSource(ctx, form) {
      await pages.render(ctx as unknown as Context, 'logout', { tenant: tenantOf(ctx), title: 'Sign out', data: { formHtml: form, clientName: clientName(ctx) } });
    },
    // RFC 8628 verification page: oidc-provider's forms (escaped values, its xsrf field) inside the tenant's page
    async userCodeInput(ctx, form, error) {
      const messages = { 'wrong-code': 'That code is not valid or has expired. Check the code on your device and try again.', aborted: 'The sign-in was cancelled.', failed: 'The code could not be checked. Try again.' };
      // Our own labelled form (the library's input has no label and an inline handler); it carries the library's
      // action and xsrf value, both of its own making (a URL from the issuer, a hex string).
      const action = /action="([^"]*)"/.exec(form)?.[1] ?? '';
      const xsrf = /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '';
      await pages.render(ctx as unknown as Context, 'device-input', { tenant: tenantOf(ctx), title: 'Connect a device', status: error ? 400 : 200, data: { action, xsrf, error: error ? messages[error] : null } });
    },
    async userCodeConfirm(ctx, form, name, userCode) {
      await pages.render(ctx as unknown as Context, 'device-confirm', { tenant: tenantOf(ctx), title: 'Connect a device', data: { formHtml: form, clientName: name, userCode } });
    },
    async deviceSuccess(ctx, name) {
      await pages.render(ctx as unknown as Context, 'device-success', { tenant: tenantOf(ctx), title: 'Device connected', data: { clientName: name } });
    },
    async tooManyAttempts(ctx, retryAfterSeconds) {
      const koa = ctx as unknown as Context;
      await pages.render(koa, 'error', {
        tenant: tenantOf(ctx), title: 'Too many attempts', status: 429,
        data: { heading: 'Too many attempts', message: `Too many codes were entered from this network. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`, code: null, requestId: koa.state.requestId ?? null, backUrl: null },
      });
    },
    async postLogoutSuccessSource(ctx) {
      await pages.render(ctx as unknown as Context, 'logged-out', { tenant: tenantOf(ctx), title: 'Signed out', data: { clientName: clientName(ctx) } });
    },
  };
}
