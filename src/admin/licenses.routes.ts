// The console's licenses page (issue #20): a tenant's products with their policies (create a product with its first
// policy, add a policy to one), issuing keys one at a time or in bulk, search by product, status, user and key ending,
// and one license with its activations and their last heartbeat (its actions: license-actions.routes.ts). Every write
// goes through the licensing service the Management API uses, which audits it with the operator as actor. New keys
// are shown once: sealed in the operator's session for the page right after the issue (as a new client secret is),
// so reloading shows them no more and issues nothing again.
import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';
import { issueSchema, licenseSearchSchema, policySchema, productSchema } from '../licenses/license-inputs.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import type { AdminKit } from './admin-kit.js';
import { createIdentityLabels } from './identity-labels.js';
import { text } from './admin-kit.js';
import { parseForm, policyBody, policyForm, userOf, whole } from './license-forms.js';

const statuses = ['active', 'revoked', 'expired'] as const;
type Section = 'product' | 'policy' | 'issue' | 'search';
interface PageOptions { problem?: { section: Section; message: string }; forms?: Record<string, Record<string, string>> }

/** the session slot of the keys just issued in this tenant */
const issuedSlot = (tenantId: string) => `${tenantId}:license-keys`;
export const licensesBase = (tenant: Pick<TenantSummary, 'slug'>) => `/admin/tenants/${tenant.slug}/licenses`;

export function licensesRoutes(kit: AdminKit) {
  const { services } = kit;
  const admin = services.licenses.admin;
  const identities = createIdentityLabels(services);
  const router = new Router({ prefix: '/admin/tenants/:slug/licenses' });
  const q = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim().slice(0, 512) : '');
  const byEmail = (tenant: TenantSummary) => (email: string) => services.users.findByEmail(tenant.id, email);
  /** a refusal as the page shows it; what is no refusal (a 500) goes on */
  async function refusal(ctx: Context, error: unknown): Promise<string> {
    if (error instanceof AppError && error.status < 500) return kit.formError(ctx, error);
    throw error;
  }

  async function search(ctx: Context, tenant: TenantSummary, form: Record<string, string>) {
    const cursor = q(ctx, 'cursor');
    const query = parseForm(licenseSearchSchema, {
      limit: 50, ...(form.product ? { product_id: form.product } : {}), ...(form.status ? { status: form.status } : {}),
      ...(form.user ? { user_id: await userOf(form.user, byEmail(tenant)) } : {}), ...(form.hint ? { key_hint: form.hint } : {}), ...(cursor ? { cursor } : {}),
    }, await kit.words(ctx));
    return { found: await admin.search(tenant, query), cursor };
  }

  async function page(ctx: Context, options: PageOptions = {}) {
    const tenant = await kit.tenant(ctx, 'licenses:read');
    const form = { product: q(ctx, 'product'), status: q(ctx, 'status'), user: q(ctx, 'user'), hint: q(ctx, 'hint') };
    let problem = options.problem ?? null;
    let listed: Awaited<ReturnType<typeof search>> = { found: { items: [], next_cursor: null }, cursor: '' };
    try {
      listed = await search(ctx, tenant, form);
    } catch (error) {
      const message = await refusal(ctx, error);
      problem ??= { section: 'search', message };
    }
    const products = await admin.listProducts(tenant);
    const selectedId = q(ctx, 'license');
    const selected = selectedId ? await admin.get(tenant, selectedId).catch((error: unknown) => refusal(ctx, error).then(() => null)) : null;
    const sealed = await kit.deps.sessions.takeSecret(kit.operatorOf(ctx).session, issuedSlot(tenant.id));
    const names = new Map(products.map((p) => [p.id, p.name]));
    const { found, cursor } = listed;
    // the holder by email (else phone, else name), its id on hover, as the audit page names people
    const holder = await identities.resolver(tenant, [...found.items.map((l) => l.user_id), selected?.user_id]);
    await kit.render(ctx, 'licenses', {
      title: 'console.licenses.title', tenant, section: 'licenses', status: problem ? 400 : 200,
      data: {
        products, form, statuses, problem, forms: options.forms ?? {},
        issued: sealed ? JSON.parse(sealed) as Array<{ key: string; license_id: string }> : [],
        licenses: found.items.map((l) => ({ ...l, product: names.get(l.product_id) ?? l.product_id, holder: holder(l.user_id) })),
        selected: selected ? { ...selected, holder: holder(selected.user_id) } : selected, canWrite: kit.can(kit.operatorOf(ctx), 'licenses:write'),
        nextUrl: found.next_cursor ? `?${new URLSearchParams({ ...form, cursor: found.next_cursor })}` : null,
        firstUrl: cursor ? `?${new URLSearchParams(form)}` : null,
      },
    });
  }

  router.get('/', (ctx) => page(ctx));

  router.post('/products', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'licenses:write');
    kit.verifyCsrf(ctx);
    const form = { name: text(ctx, 'name', 200), ...policyForm(ctx) };
    let name: string;
    try {
      const body = parseForm(productSchema, { name: form.name, policy: policyBody(ctx) }, await kit.words(ctx));
      ({ name } = (await admin.createProduct(tenant, body, kit.actor(ctx))).product);
    } catch (error) {
      return page(ctx, { problem: { section: 'product', message: await refusal(ctx, error) }, forms: { product: form } });
    }
    await kit.done(ctx, licensesBase(tenant), { key: 'console.licenses.productCreated', vars: { name } });
  });

  router.post('/policies', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'licenses:write');
    kit.verifyCsrf(ctx);
    const form = { product: text(ctx, 'product', 100), ...policyForm(ctx) };
    let name: string;
    try {
      const body = parseForm(policySchema, policyBody(ctx), await kit.words(ctx), { policyName: true });
      ({ name } = await admin.createPolicy(tenant, form.product, body, kit.actor(ctx)));
    } catch (error) {
      return page(ctx, { problem: { section: 'policy', message: await refusal(ctx, error) }, forms: { policy: form } });
    }
    await kit.done(ctx, licensesBase(tenant), { key: 'console.licenses.policyCreated', vars: { name } });
  });

  // `policy` is `<product id>:<policy id>` (the issue form's one select)
  router.post('/issue', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'licenses:write');
    kit.verifyCsrf(ctx);
    const form = { policy: text(ctx, 'policy', 200), user: text(ctx, 'user', 320), count: text(ctx, 'count', 20) };
    const [productId = '', policyId] = form.policy.split(':');
    let issued: Array<{ key: string; license_id: string }>;
    try {
      const body = parseForm(issueSchema, {
        product_id: productId, ...(policyId ? { policy_id: policyId } : {}), user_id: await userOf(form.user, byEmail(tenant)), count: whole(ctx, 'count') ?? 1,
      }, await kit.words(ctx));
      issued = await admin.issue(tenant, { productId: body.product_id, policyId: body.policy_id, userId: body.user_id ?? null, count: body.count }, kit.actor(ctx));
    } catch (error) {
      return page(ctx, { problem: { section: 'issue', message: await refusal(ctx, error) }, forms: { issue: form } });
    }
    await kit.deps.sessions.keepSecret(kit.operatorOf(ctx).session, issuedSlot(tenant.id), JSON.stringify(issued.map(({ key, license_id }) => ({ key, license_id }))));
    await kit.done(ctx, licensesBase(tenant), { key: 'console.licenses.keysIssued', vars: { count: issued.length } });
  });

  return router;
}
