// The pages oidc-provider renders itself — errors shown to the browser, logout confirmation, signed-out —
// in the tenant's branding and the sign-in's language. A resume after the interaction expired gets the
// "sign-in expired" page. The library's error descriptions are for developers: a person reads a friendly text
// chosen by the RFC 6749 error code, which stays on the page for the app's developer to look up.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Context } from 'koa';
import type { ProviderPages } from '../oidc/provider-config.js';
import { translatorFor, type Pages } from '../http/pages.js';

function clientName(ctx: KoaContextWithOIDC): string | null {
  return ctx.oidc?.client?.clientName ?? ctx.oidc?.client?.clientId ?? null;
}

/** the error codes with a text of their own (i18n catalogue `provider.*`); any other reads `provider.fallback` */
const friendly = new Set([
  'invalid_request', 'invalid_client', 'invalid_client_metadata', 'invalid_redirect_uri', 'invalid_scope', 'unauthorized_client',
  'unsupported_response_type', 'access_denied', 'login_required', 'consent_required', 'request_not_supported', 'server_error',
]);

export function providerErrorText(code: unknown, description?: unknown): string {
  if (typeof code !== 'string') return 'provider.fallback';
  // the one invalid_request a person meets on the logout page: say which address was refused
  if (code === 'invalid_request' && typeof description === 'string' && description.includes('post_logout_redirect_uri')) return 'provider.invalid_post_logout_redirect_uri';
  if (code === 'request_uri_not_supported' || code === 'registration_not_supported') return 'provider.request_not_supported';
  if (code === 'interaction_required' || code === 'account_selection_required') return 'provider.login_required';
  return friendly.has(code) ? `provider.${code}` : 'provider.fallback';
}

export function createProviderPages(pages: Pages): ProviderPages {
  const tenantOf = (ctx: KoaContextWithOIDC) => (ctx as unknown as Context).state.tenant ?? null;
  const remember = (ctx: KoaContextWithOIDC) => {
    const asked = (ctx.oidc?.params as Record<string, unknown> | undefined)?.ui_locales;
    if (typeof asked === 'string') (ctx as unknown as Context).state.uiLocales = asked;
  };
  return {
    async renderError(ctx, out, error) {
      const status = ctx.status;
      const koa = ctx as unknown as Context;
      remember(ctx);
      if (error.name === 'SessionNotFound') {
        await pages.render(koa, 'expired', { tenant: tenantOf(ctx), title: 'expired.title', status, data: { backUrl: null } });
        return;
      }
      const { t } = translatorFor(koa, tenantOf(ctx));
      await pages.render(koa, 'error', {
        tenant: tenantOf(ctx), title: 'error.signInTitle', status,
        // The RFC 6749 code is what the app's developer looks up; the library's description is not for the person.
        data: { heading: t('error.signInTitle'), message: t(providerErrorText(out.error, out.error_description)), code: typeof out.error === 'string' ? out.error : null, requestId: koa.state.requestId ?? null, backUrl: null },
      });
    },
    async logoutSource(ctx, form) {
      remember(ctx);
      await pages.render(ctx as unknown as Context, 'logout', { tenant: tenantOf(ctx), title: 'logout.title', data: { formHtml: form, clientName: clientName(ctx) } });
    },
    // RFC 8628 verification page: oidc-provider's forms (escaped values, its xsrf field) inside the tenant's page
    async userCodeInput(ctx, form, error) {
      const messages = { 'wrong-code': 'device.wrongCode', aborted: 'device.aborted', failed: 'device.failed' };
      // Our own labelled form (the library's input has no label and an inline handler); it carries the library's
      // action and xsrf value, both of its own making (a URL from the issuer, a hex string).
      const action = /action="([^"]*)"/.exec(form)?.[1] ?? '';
      const xsrf = /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '';
      await pages.render(ctx as unknown as Context, 'device-input', { tenant: tenantOf(ctx), title: 'device.title', status: error ? 400 : 200, data: { action, xsrf, error: error ? translatorFor(ctx as unknown as Context, tenantOf(ctx)).t(messages[error]) : null } });
    },
    async userCodeConfirm(ctx, form, name, userCode) {
      await pages.render(ctx as unknown as Context, 'device-confirm', { tenant: tenantOf(ctx), title: 'device.title', data: { formHtml: form, clientName: name, userCode } });
    },
    async deviceSuccess(ctx, name) {
      await pages.render(ctx as unknown as Context, 'device-success', { tenant: tenantOf(ctx), title: 'device.doneTitle', data: { clientName: name } });
    },
    async tooManyAttempts(ctx, retryAfterSeconds) {
      const koa = ctx as unknown as Context;
      const words = translatorFor(koa, tenantOf(ctx));
      await pages.render(koa, 'error', {
        tenant: tenantOf(ctx), title: 'device.tooManyTitle', status: 429,
        data: { heading: words.t('device.tooManyTitle'), message: words.t('device.tooMany', { count: Math.ceil(retryAfterSeconds / 60) }), code: null, requestId: koa.state.requestId ?? null, backUrl: null },
      });
    },
    async postLogoutSuccessSource(ctx) {
      remember(ctx);
      await pages.render(ctx as unknown as Context, 'logged-out', { tenant: tenantOf(ctx), title: 'logout.doneTitle', data: { clientName: clientName(ctx) } });
    },
  };
}
