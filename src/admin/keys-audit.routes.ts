// A tenant's signing keys (list, rotate) and its audit log with filters (type, subject or actor, time).
import Router from '@koa/router';
import type { Context } from 'koa';
import { signingAlgs } from '../tenants/tenant-settings.js';
import { createAuditSearch, type AuditFilter } from '../db/audit-search.repository.js';
import type { AdminKit } from './admin-kit.js';
import { text } from './admin-kit.js';
import { boundedBigint, storableInstant } from '../validation/input-rules.js';
import { createIdentityLabels } from './identity-labels.js';

/** a datetime-local value (read as UTC) or an ISO instant; undefined when empty, null when not a time the log can hold */
function instant(value: string): Date | undefined | null {
  if (!value) return undefined;
  const date = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  return storableInstant(date) ? date : null;
}

export function keysAuditRoutes(kit: AdminKit) {
  const { services } = kit;
  const auditSearch = createAuditSearch(services.db.prisma);
  const identities = createIdentityLabels(services);
  const router = new Router({ prefix: '/admin/tenants/:slug' });

  async function keys(ctx: Context, formError: string | null = null, status = 200) {
    const tenant = await kit.tenant(ctx, 'keys:read');
    const list = await services.keys.listPublished(tenant.id);
    await kit.render(ctx, 'keys', {
      title: 'console.keys.title', tenant, section: 'keys', status,
      data: { keys: list.map((k) => ({ ...k, createdAt: k.createdAt.toISOString(), activatesAt: k.activatesAt?.toISOString() ?? null })), algs: signingAlgs, canWrite: kit.can(kit.operatorOf(ctx), 'keys:write'), formError },
    });
  }

  router.get('/keys', (ctx) => keys(ctx));
  router.post('/keys/rotate', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'keys:write');
    kit.verifyCsrf(ctx);
    const alg = text(ctx, 'alg', 20);
    if (!(signingAlgs as readonly string[]).includes(alg)) return keys(ctx, (await kit.words(ctx)).t('console.keys.chooseAlg', { algs: signingAlgs.join(', ') }), 400);
    const rotated = await services.tenants.rotateKey(tenant.slug, alg);
    await kit.audit(ctx, tenant.id, 'admin.key_rotated', { data: { kid: rotated.kid, alg: rotated.alg, signsFrom: rotated.signsFrom, replaced: rotated.replaced.map((k) => k.kid) } });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/keys`, { key: 'console.keys.rotated', vars: { alg, kid: rotated.kid, when: String(rotated.signsFrom) } });
  });

  /** the filter's "who": an email names the tenant's user with exactly that address (else nothing matches), anything else is an id */
  async function whoId(tenant: { id: string; slug: string }, who: string): Promise<string> {
    if (!who.includes('@')) return who;
    const found = await services.userAdmin.search({ id: tenant.id, slug: tenant.slug }, { email: who, limit: 20 });
    return found.items.find((u) => u.email === who.toLowerCase())?.id ?? who;
  }

  router.get('/audit', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'audit:read');
    const q = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim().slice(0, 200) : '');
    const form = { type: q('type'), who: q('who'), from: q('from'), to: q('to') };
    const problems: string[] = [];
    const from = instant(form.from);
    const to = instant(form.to);
    const { t } = await kit.words(ctx);
    if (from === null) problems.push(t('console.audit.badFrom'));
    if (to === null) problems.push(t('console.audit.badTo'));
    const before = boundedBigint(q('before')) ?? undefined;
    const filter: AuditFilter = { type: form.type || undefined, who: (await whoId(tenant, form.who)) || undefined, from: from ?? undefined, to: to ?? undefined, before };
    const page = problems.length ? { rows: [], next: null } : await auditSearch.search(tenant.id, filter);
    const nextUrl = page.next === null ? null : `?${new URLSearchParams({ ...form, before: String(page.next) })}`;
    const firstUrl = before === undefined ? null : `?${new URLSearchParams(form)}`;
    const name = await identities.resolver(tenant, page.rows.flatMap((r) => [r.actor, r.subject, r.clientId]));
    await kit.render(ctx, 'audit', {
      title: 'console.audit.title', tenant, section: 'audit', status: problems.length ? 400 : 200,
      data: {
        form, formError: problems.join(' ') || null, nextUrl, firstUrl,
        rows: page.rows.map((r) => ({
          ...r, id: String(r.id), createdAt: r.createdAt.toISOString().replace('T', ' ').slice(0, 19), data: JSON.stringify(r.data),
          actor: name(r.actor), subject: name(r.subject), client: name(r.clientId),
        })),
      },
    });
  });

  return router;
}
