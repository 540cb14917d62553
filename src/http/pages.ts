// Renders a hosted page into the response, with the tenant's branding (or Tessera's when no tenant is known), in
// the language chosen for this request (i18n/choose-locale.ts) with the tenant's own texts on top.
import type { Context } from 'koa';
import { defaultBranding, type Branding } from '../tenants/branding.js';
import { chooseLocale } from '../i18n/choose-locale.js';
import { translator, type Locale, type TextOverrides, type Translator } from '../i18n/i18n.js';
import type { PageRenderer } from './page-renderer.js';
import { sandboxInForce } from '../tenants/sandbox-behaviour.js';

export interface PageTenant {
  readonly slug: string;
  readonly name: string;
  readonly branding: Branding;
  readonly settings?: { readonly texts?: { readonly defaultLocale: Locale; readonly overrides: TextOverrides }; readonly signIn?: { readonly sandbox?: boolean } };
}

export const assetsPath = '/assets';

/** @param production production detected: no banner there (tenants/sandbox-behaviour.ts) */
export function pageFor(tenant: PageTenant | null, title: string, production: boolean, lang = 'en', refreshSeconds?: number) {
  return {
    lang,
    title,
    refreshSeconds: refreshSeconds ?? null,
    tenant: { name: tenant?.name ?? 'Tessera', slug: tenant?.slug ?? '', logoUrl: (tenant?.branding ?? defaultBranding).logoUrl },
    // issue #19: a sandbox environment says so on every hosted page; live and production never do
    sandbox: sandboxInForce(tenant, production),
    assetsUrl: assetsPath,
    brandCssUrl: tenant ? `/t/${tenant.slug}/branding.css` : `${assetsPath}/brand.css`,
  };
}

/**
 * The translator of this request: ui_locales of the sign-in (set on ctx.state.uiLocales by whoever loaded the
 * interaction), else Accept-Language, else the tenant's default language.
 */
export function translatorFor(ctx: Context, tenant: PageTenant | null): Translator {
  const texts = tenant?.settings?.texts;
  const locale = chooseLocale({ uiLocales: ctx.state.uiLocales, acceptLanguage: ctx.get('Accept-Language'), tenantDefault: texts?.defaultLocale ?? 'en' });
  return translator(locale, texts?.overrides);
}

export interface Pages {
  /** `title` is a catalogue key */
  render(ctx: Context, view: string, options: { tenant: PageTenant | null; title: string; status?: number; refreshSeconds?: number; data: Record<string, unknown> }): Promise<void>;
}

/** @param production production detected (config/development-mode.ts) */
export function createPages(renderer: PageRenderer, production: boolean): Pages {
  return {
    async render(ctx, view, options) {
      const words = translatorFor(ctx, options.tenant);
      const page = pageFor(options.tenant, words.t(options.title), production, words.locale, options.refreshSeconds);
      const html = await renderer.render(view, { page, t: words.t, th: words.th, ...options.data });
      ctx.status = options.status ?? 200;
      ctx.type = 'html';
      ctx.set('Content-Language', words.locale);
      ctx.vary('Accept-Language');
      ctx.body = html;
    },
  };
}
