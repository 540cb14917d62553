// Tenants: the list an operator may see, creating one, and a tenant's overview page.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AdminKit } from './admin-kit.js';
import { text } from './admin-kit.js';
import { mayCreateTenants, visibleTenants } from '../management/operator-access.js';

export function tenantsRoutes(kit: AdminKit) {
  const { services } = kit;
  const router = new Router({ prefix: '/admin' });

  async function list(ctx: Context, form: { slug?: string; name?: string; formError?: string } = {}, status = 200) {
    kit.require(ctx, 'tenants:read');
    const operator = kit.operatorOf(ctx);
    const tenants = visibleTenants(operator.tenants, await services.tenants.list()).sort((a, b) => a.slug.localeCompare(b.slug));
    await kit.render(ctx, 'tenants', {
      title: 'console.tenants.title', status,
      data: { tenants: tenants.map((t) => ({ slug: t.slug, name: t.name, issuer: t.issuer })), canCreate: kit.can(operator, 'tenants:write') && mayCreateTenants(operator.tenants), form },
    });
  }

  router.get('/', (ctx) => {
    ctx.status = 303;
    ctx.redirect('/admin/tenants');
  });
  router.get('/tenants', (ctx) => list(ctx));

  router.post('/tenants', async (ctx) => {
    kit.require(ctx, 'tenants:write');
    kit.verifyCsrf(ctx);
    // a tenant-restricted operator manages the tenants listed for them, and creates none
    if (!mayCreateTenants(kit.operatorOf(ctx).tenants)) return list(ctx, { formError: (await kit.words(ctx)).t('console.tenants.limited') }, 403);
    const slug = text(ctx, 'slug', 100).toLowerCase();
    const name = text(ctx, 'name', 200);
    let created;
    try {
      created = await services.tenants.create({ slug, name });
    } catch (error) {
      return list(ctx, { slug, name, formError: await kit.formError(ctx, error) }, 400);
    }
    await kit.audit(ctx, created.id, 'admin.tenant_created', { data: { slug: created.slug, name: created.name } });
    await kit.done(ctx, `/admin/tenants/${created.slug}`, { key: 'console.tenants.created', vars: { slug: created.slug } });
  });

  router.get('/tenants/:slug', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'tenants:read');
    const { settings } = tenant;
    await kit.render(ctx, 'tenant', {
      title: '', titleText: tenant.name, tenant,
      data: {
        issuer: tenant.issuer,
        discovery: `${tenant.issuer}/.well-known/openid-configuration`,
        methods: Object.entries(settings.signIn.methods).filter(([, on]) => on).map(([name]) => name),
        mfaPolicy: `console.policies.policy${settings.mfa.policy.charAt(0).toUpperCase()}${settings.mfa.policy.slice(1)}`,
        algs: { idToken: settings.idTokenSigningAlg, accessToken: settings.accessTokenSigningAlg },
      },
    });
  });

  return router;
}
