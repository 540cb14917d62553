// Renders a hosted page into the response, with the tenant's branding (or Tessera's when no tenant is known).
import type { Context } from 'koa';
import { defaultBranding, type Branding } from '../tenants/branding.js';
import type { PageRenderer } from './page-renderer.js';

export interface PageTenant {
  readonly slug: string;
  readonly name: string;
  readonly branding: Branding;
}

export const assetsPath = '/assets';

export function pageFor(tenant: PageTenant | null, title: string, lang = 'en', refreshSeconds?: number) {
  return {
    lang,
    title,
    refreshSeconds: refreshSeconds ?? null,
    tenant: { name: tenant?.name ?? 'Tessera', slug: tenant?.slug ?? '', logoUrl: (tenant?.branding ?? defaultBranding).logoUrl },
    assetsUrl: assetsPath,
    brandCssUrl: tenant ? `/t/${tenant.slug}/branding.css` : `${assetsPath}/brand.css`,
  };
}

export interface Pages {
  render(ctx: Context, view: string, options: { tenant: PageTenant | null; title: string; status?: number; lang?: string; refreshSeconds?: number; data: Record<string, unknown> }): Promise<void>;
}

export function createPages(renderer: PageRenderer): Pages {
  return {
    async render(ctx, view, options) {
      const html = await renderer.render(view, { page: pageFor(options.tenant, options.title, options.lang, options.refreshSeconds), ...options.data });
      ctx.status = options.status ?? 200;
      ctx.type = 'html';
      ctx.body = html;
    },
  };
}
