// A tenant's branding, with a preview of its hosted login page: the same login template rendered with the values
// being edited (not yet saved) inside a frame of the branding page. Without a script the "Preview" button posts the
// form into that frame; views/assets/admin-preview.js does so as the operator types.
import Router from '@koa/router';
import type { Context } from 'koa';
import { brandingCss, parseBranding, type Branding } from '../tenants/branding.js';
import { assetsPath } from '../http/pages.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import type { AdminKit } from './admin-kit.js';
import { text } from './admin-kit.js';
import { translator } from '../i18n/i18n.js';

// The preview may only be framed by the console itself; nothing in it can be submitted or run.
const previewCsp = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

export function brandingRoutes(kit: AdminKit) {
  const { services } = kit;
  const router = new Router({ prefix: '/admin/tenants/:slug/branding' });

  async function page(ctx: Context, form: { logoUrl: string; primaryColor: string; formError?: string | null }, status = 200) {
    const tenant = await kit.tenant(ctx, 'tenants:read');
    const previewUrl = `/admin/tenants/${tenant.slug}/branding/preview?${new URLSearchParams({ logoUrl: form.logoUrl, primaryColor: form.primaryColor })}`;
    await kit.render(ctx, 'branding', {
      title: 'console.branding.title', tenant, section: 'branding', status, framesPreview: true,
      data: { form: { ...form, formError: form.formError ?? null }, previewUrl, canWrite: kit.can(kit.operatorOf(ctx), 'tenants:write') },
    });
  }

  const saved = (tenant: TenantSummary) => ({ logoUrl: tenant.settings.branding.logoUrl ?? '', primaryColor: tenant.settings.branding.primaryColor });

  router.get('/', async (ctx) => page(ctx, saved(await kit.tenant(ctx, 'tenants:read'))));

  router.post('/', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'tenants:write');
    kit.verifyCsrf(ctx);
    const form = { logoUrl: text(ctx, 'logoUrl', 2048), primaryColor: text(ctx, 'primaryColor', 20) };
    const branding = { logoUrl: form.logoUrl || null, primaryColor: form.primaryColor };
    try {
      await services.tenants.updateSettings(tenant.slug, { branding }, kit.actor(ctx));
    } catch (error) {
      return page(ctx, { ...form, formError: await kit.formError(ctx, error) }, 400);
    }
    await kit.audit(ctx, tenant.id, 'admin.branding_updated', { data: branding });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/branding`, { key: 'console.branding.saved' });
  });

  async function preview(ctx: Context, tenant: TenantSummary, values: { logoUrl?: string; primaryColor?: string }) {
    const branding: Branding = parseBranding({ ...tenant.settings.branding, ...values, logoUrl: values.logoUrl === undefined ? tenant.settings.branding.logoUrl : values.logoUrl });
    const methods = tenant.settings.signIn.methods;
    const words = translator(tenant.settings.texts.defaultLocale, tenant.settings.texts.overrides);
    const html = await kit.deps.hostedViews.render('login', {
      t: words.t, th: words.th,
      page: {
        lang: words.locale, title: words.t('login.title'), refreshSeconds: null, assetsUrl: assetsPath,
        tenant: { name: tenant.name, slug: tenant.slug, logoUrl: branding.logoUrl },
        brandCssUrl: `/admin/tenants/${tenant.slug}/branding/preview.css?${new URLSearchParams({ primaryColor: branding.primaryColor })}`,
      },
      action: '#', abortUrl: '#', csrfToken: '', email: '', error: null, notice: null, clientName: words.t('console.branding.previewApp'),
      methods: {
        password: methods.password, emailOtp: methods.emailOtp, magicLink: methods.magicLink, phone: methods.smsOtp || methods.whatsappOtp,
        signUp: tenant.settings.signIn.signUp, passwordReset: methods.password, passkey: false,
      },
      connections: services.connections.buttons(tenant.settings.connections),
      urls: { emailCode: '#', magicLink: '#', phone: '#', signUp: '#', reset: '#', federated: '#', passkey: '#' },
      otherWays: [],
    });
    ctx.set('Content-Security-Policy', previewCsp);
    ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.type = 'html';
    ctx.body = html;
  }

  const query = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).slice(0, 2048) : undefined);
  router.get('/preview', async (ctx) => preview(ctx, await kit.tenant(ctx, 'tenants:read'), { logoUrl: query(ctx, 'logoUrl'), primaryColor: query(ctx, 'primaryColor') }));
  router.post('/preview', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'tenants:read');
    kit.verifyCsrf(ctx);
    await preview(ctx, tenant, { logoUrl: text(ctx, 'logoUrl', 2048), primaryColor: text(ctx, 'primaryColor', 20) });
  });
  // only the two custom properties brandingCss writes: no value typed in the form becomes CSS syntax
  router.get('/preview.css', async (ctx) => {
    await kit.tenant(ctx, 'tenants:read');
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = brandingCss(parseBranding({ primaryColor: query(ctx, 'primaryColor') }));
  });

  return router;
}
