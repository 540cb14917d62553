// A tenant's users: search, a user's page (profile, roles, identities, factors, sessions), and what an operator
// may do to them — create, disable, enable, unlock, resend verification, delete, assign and unassign roles, reset MFA, revoke sessions.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { TenantSummary } from '../tenants/tenants.service.js';
import type { AdminKit } from './admin-kit.js';
import { confirmed, consoleRefusal, passwordTooLong, text, type ConsoleMessage } from './admin-kit.js';
import { AppError } from '../errors/app-error.js';
import { field } from '../interactions/interaction-context.js';
import { createUserLockout } from './user-lockout.js';
import { createIdentityLabels } from './identity-labels.js';
import { pageOf } from '../validation/pagination.js';

/** newest activity first, as a key that sorts ascending (pageOf) and is unique */
const newestFirst = (s: { lastActiveAt: string; id: string }) => `${String(9e15 - Date.parse(s.lastActiveAt)).padStart(16, '0')}|${s.id}`;

export function usersRoutes(kit: AdminKit) {
  const { userAdmin, rbac, sessions } = kit.services;
  const router = new Router({ prefix: '/admin/tenants/:slug/users' });
  const ref = (t: TenantSummary) => ({ id: t.id, slug: t.slug });
  const userPath = (t: TenantSummary, id: string) => `/admin/tenants/${t.slug}/users/${id}`;
  const lockout = createUserLockout({ limiter: kit.services.limiter, factors: kit.services.factors, users: kit.services.users });
  const names = createIdentityLabels(kit.services);

  async function list(ctx: Context, created: { form: Record<string, string>; error: string } | null = null) {
    const tenant = await kit.tenant(ctx, 'users:read');
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 254) : '';
    const cursor = typeof ctx.query.cursor === 'string' ? ctx.query.cursor.slice(0, 200) : undefined;
    let page: Awaited<ReturnType<typeof userAdmin.search>> = { items: [], next_cursor: null };
    let problem: string | null = null;
    try {
      page = await userAdmin.search(ref(tenant), { ...(q ? { q } : {}), ...(cursor ? { cursor } : {}), limit: 25 });
    } catch (error) {
      problem = await kit.formError(ctx, error);
    }
    await kit.render(ctx, 'users', {
      title: 'console.users.title', tenant, section: 'users', status: problem || created ? 400 : 200,
      data: {
        q, formError: problem, canWrite: kit.can(kit.operatorOf(ctx), 'users:write'),
        create: { form: created?.form ?? {}, error: created?.error ?? null },
        users: page.items.map((u) => ({ id: u.id, email: u.email, phone: u.phone_number, name: typeof u.profile.name === 'string' ? u.profile.name : '', disabled: u.disabled, lastLogin: u.last_login_at?.slice(0, 16).replace('T', ' ') ?? '' })),
        nextUrl: page.next_cursor ? `?${new URLSearchParams({ ...(q ? { q } : {}), cursor: page.next_cursor })}` : null,
        firstUrl: cursor ? `?${new URLSearchParams(q ? { q } : {})}` : null,
      },
    });
  }

  router.get('/', (ctx) => list(ctx));

  // a new user: email, optional name and password (none = passwordless methods or a reset), optionally verified
  router.post('/', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'users:write');
    kit.verifyCsrf(ctx);
    const form = { email: text(ctx, 'email', 254), name: text(ctx, 'name', 200), verified: text(ctx, 'verified', 10) };
    const password = field(ctx, 'password');
    let user;
    try {
      if (password.length > 128) throw passwordTooLong();
      user = await kit.services.users.create(tenant.id, {
        email: form.email, ...(form.name ? { name: form.name } : {}), ...(password ? { password } : {}),
        emailVerified: form.verified === 'on', rules: tenant.settings.signIn,
      });
    } catch (error) {
      return list(ctx, { form, error: await kit.formError(ctx, error) });
    }
    await kit.audit(ctx, tenant.id, 'admin.user_created', { subject: user.id, data: { sign_in: password ? 'password' : 'passwordless', email_verified: form.verified === 'on' } });
    await kit.done(ctx, userPath(tenant, user.id), { key: 'console.users.created', vars: { email: user.email ?? '' } });
  });

  router.get('/:id', async (ctx) => {
    const tenant = await kit.tenant(ctx, 'users:read');
    const operator = kit.operatorOf(ctx);
    const id = String(ctx.params.id);
    const user = await userAdmin.get(ref(tenant), id);
    const [roles, allRoles, identities, factors, live, locked] = await Promise.all([
      rbac.rolesOfUser(ref(tenant), id), rbac.listRoles(ref(tenant)), userAdmin.identities(ref(tenant), id), userAdmin.factors(ref(tenant), id),
      kit.can(operator, 'sessions:read') ? sessions.list(ref(tenant), id) : Promise.resolve(null),
      lockout.of(tenant.id, { id, email: user.email }),
    ]);
    const cursor = typeof ctx.query.sessions === 'string' ? ctx.query.sessions.slice(0, 512) : undefined;
    const sessionPage = live ? pageOf(live, newestFirst, { limit: 20, ...(cursor ? { cursor } : {}) }) : null;
    const name = await names.resolver(tenant, sessionPage?.items.flatMap((s) => s.clients) ?? []);
    await kit.render(ctx, 'user', {
      title: 'console.user.title', ...(user.email ?? user.phone_number ? { titleText: (user.email ?? user.phone_number)! } : {}), tenant, section: 'users',
      data: {
        user, base: userPath(tenant, id), roles, assignable: allRoles.map((r) => r.name).filter((name) => !roles.includes(name)),
        identities, factors, locked,
        sessions: sessionPage?.items.map((s) => ({ ...s, apps: s.clients.map((c) => name(c)!) })) ?? null,
        sessionsNext: sessionPage?.next_cursor ? `?${new URLSearchParams({ sessions: sessionPage.next_cursor })}#sessions` : null,
        sessionsFirst: cursor ? '?#sessions' : null,
        can: { write: kit.can(operator, 'users:write'), sessions: kit.can(operator, 'sessions:write') },
      },
    });
  });

  /** a user write: permission, CSRF, the work, its audit entry, then back to the user's page with a message */
  function write(path: string, permission: string, work: (ctx: Context, tenant: TenantSummary, id: string) => Promise<{ type: `admin.${string}`; message: ConsoleMessage; data?: Record<string, unknown>; to?: string }>) {
    router.post(path, async (ctx) => {
      const tenant = await kit.tenant(ctx, permission);
      kit.verifyCsrf(ctx);
      const id = String(ctx.params.id);
      let outcome;
      try {
        outcome = await work(ctx, tenant, id);
      } catch (error) {
        return kit.done(ctx, userPath(tenant, id), await kit.formError(ctx, error), true);
      }
      await kit.audit(ctx, tenant.id, outcome.type, { subject: id, data: outcome.data });
      await kit.done(ctx, outcome.to ?? userPath(tenant, id), outcome.message);
    });
  }

  write('/:id/disable', 'users:write', async (_ctx, tenant, id) => {
    await userAdmin.setDisabled(ref(tenant), id, true);
    return { type: 'admin.user_disabled', message: { key: 'console.user.disabledDone' } };
  });
  write('/:id/enable', 'users:write', async (_ctx, tenant, id) => {
    await userAdmin.setDisabled(ref(tenant), id, false);
    return { type: 'admin.user_enabled', message: { key: 'console.user.enabledDone' } };
  });
  write('/:id/unlock', 'users:write', async (_ctx, tenant, id) => {
    const user = await userAdmin.find(ref(tenant), id);
    const before = await lockout.of(tenant.id, { id, email: user.email });
    await lockout.unlock(tenant.id, { id, email: user.email });
    return { type: 'admin.user_unlocked', message: { key: 'console.user.unlockedDone' }, data: { was_locked: before.what } };
  });
  // a link that verifies the address, through the tenant's email sender (accounts/email-verification.service.ts)
  write('/:id/verification/resend', 'users:write', async (ctx, tenant, id) => {
    const sent = await kit.services.emailVerification.send({ ...tenant, branding: tenant.settings.branding }, id, { ip: ctx.ip });
    return { type: 'admin.verification_sent', message: { key: 'console.user.verificationSent', vars: { email: sent.email } } };
  });
  write('/:id/delete', 'users:write', async (ctx, tenant, id) => {
    if (!confirmed(ctx)) throw consoleRefusal('request.invalid', 'console.common.confirmDelete', 'Tick the box to confirm the deletion.');
    await userAdmin.delete(ref(tenant), id);
    return { type: 'admin.user_deleted', message: { key: 'console.user.deletedDone' }, to: `/admin/tenants/${tenant.slug}/users` };
  });
  write('/:id/roles', 'users:write', async (ctx, tenant, id) => {
    await userAdmin.find(ref(tenant), id);
    const role = text(ctx, 'role', 100);
    await rbac.getRole(ref(tenant), role);
    await rbac.assignUserRoles(ref(tenant), id, [role]);
    return { type: 'admin.role_assigned', message: { key: 'console.user.roleAssignedDone', vars: { role } }, data: { role } };
  });
  write('/:id/roles/:role/unassign', 'users:write', async (ctx, tenant, id) => {
    await userAdmin.find(ref(tenant), id);
    const role = String(ctx.params.role);
    await rbac.unassignUserRoles(ref(tenant), id, [role]);
    return { type: 'admin.role_unassigned', message: { key: 'console.common.roleRemoved', vars: { role } }, data: { role } };
  });
  write('/:id/mfa/reset', 'users:write', async (_ctx, tenant, id) => {
    await userAdmin.resetMfa(ref(tenant), id);
    return { type: 'admin.mfa_reset', message: { key: 'console.user.mfaResetDone' } };
  });
  write('/:id/sessions/:sid/revoke', 'sessions:write', async (ctx, tenant, id) => {
    await userAdmin.find(ref(tenant), id);
    const result = await sessions.revoke(ref(tenant), id, String(ctx.params.sid).slice(0, 100));
    return { type: 'admin.session_revoked', message: { key: 'console.user.sessionRevoked' }, data: { session: String(ctx.params.sid).slice(0, 100), backchannel: result.backchannel } };
  });
  write('/:id/sessions/revoke-all', 'sessions:write', async (_ctx, tenant, id) => {
    await userAdmin.find(ref(tenant), id);
    const result = await sessions.revokeAll(ref(tenant), id);
    return { type: 'admin.sessions_revoked', message: { key: 'console.user.allRevoked', vars: { count: result.sessions } }, data: result };
  });

  return router;
}
