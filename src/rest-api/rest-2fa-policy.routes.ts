// The tenant's second-factor policy and how far its users comply, over the REST auth API (issue #16 §3), for tenant
// admins only. A REST caller is a tenant admin when the user of the Bearer token holds the tenant's `admin` role
// (the RBAC role every tenant is seeded with, "Full access"), read from the database at each call so a role just
// taken away stops working at once — not from the token, whose roles are as old as the token. Management API
// scopes (tenants:write …) are the installation operators' and belong to the system tenant, not to this API.
//   GET|PUT /v1/auth/2fa/policy   {required, allowed_methods, grace_period_days}: the tenant's `mfa` settings
//   GET /v1/auth/2fa/compliance   {total_users, enrolled, not_enrolled, in_grace, overdue, by_method}
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { apiMethodName } from '../auth-methods/login-challenges.js';
import { mfaFactorTypes, type MfaSettings } from '../tenants/mfa-settings.js';
import { jsonObject, requestOf, type RestTwoFactorDeps } from './rest-2fa-subject.js';

/** the tenant role that may read and change the policy */
export const tenantAdminRole = 'admin';
const DAY = 86_400_000;
const apiMethods = ['totp', 'sms', 'webauthn', 'email'] as const;

const policyUpdate = z.object({
  required: z.boolean().optional(),
  allowed_methods: z.array(z.enum(apiMethods)).min(1).max(apiMethods.length).refine((list) => new Set(list).size === list.length, 'methods must be unique').optional(),
  grace_period_days: z.number().int().min(0).max(365).optional(),
}).strict();

function policyAnswer(mfa: MfaSettings) {
  return {
    required: mfa.policy === 'required',
    policy: mfa.policy,
    allowed_methods: mfaFactorTypes.filter((f) => mfa.factors[f]).map(apiMethodName),
    grace_period_days: mfa.graceDays,
    required_since: mfa.requiredSince,
  };
}

export function addTwoFactorPolicyRoutes(router: Router, services: Services, deps: Pick<RestTwoFactorDeps, 'bearer'>) {
  /** @throws AppError('auth.invalid_token' | 'auth.forbidden') */
  async function tenantAdmin(ctx: Context) {
    const access = await deps.bearer(ctx);
    const roles = await services.rbac.rolesOfUser(access.tenant, access.user.id);
    if (!roles.includes(tenantAdminRole)) throw new AppError('auth.forbidden', `Only a user with the tenant role "${tenantAdminRole}" may do this.`);
    return access;
  }
  const currentMfa = async (slug: string) => (await services.tenants.settings(slug)).effective.mfa;

  router.get('/auth/2fa/policy', async (ctx) => {
    const { tenant } = await tenantAdmin(ctx);
    ctx.body = policyAnswer(await currentMfa(tenant.slug));
  });

  router.put('/auth/2fa/policy', async (ctx) => {
    const { tenant, user } = await tenantAdmin(ctx);
    const body = await jsonObject(ctx);
    const parsed = policyUpdate.safeParse(body);
    if (!parsed.success) throw new AppError('request.invalid', `Send any of "required" (boolean), "allowed_methods" (of ${apiMethods.join(', ')}) and "grace_period_days" (0–365): ${parsed.error.issues[0]?.message ?? ''}`);
    const update = parsed.data;
    const before = await currentMfa(tenant.slug);
    const mfa: Record<string, unknown> = {};
    // not required any more: users with a factor are still asked for it (optional), unless the policy was off
    if (update.required !== undefined) mfa.policy = update.required ? 'required' : before.policy === 'off' ? 'off' : 'optional';
    if (update.allowed_methods) mfa.factors = Object.fromEntries(mfaFactorTypes.map((f) => [f, update.allowed_methods!.includes(apiMethodName(f) as never)]));
    if (update.grace_period_days !== undefined) mfa.graceDays = update.grace_period_days;
    // the settings update starts the grace period when the policy becomes required (tenant-settings-update.ts)
    await services.tenants.updateSettings(tenant.slug, { mfa }, { actor: user.id, ...requestOf(ctx) });
    ctx.body = policyAnswer(await currentMfa(tenant.slug));
  });

  router.get('/auth/2fa/compliance', async (ctx) => {
    const { tenant } = await tenantAdmin(ctx);
    const mfa = await currentMfa(tenant.slug);
    const counts = await services.mfa.enrolmentCounts(tenant.id);
    const notEnrolled = Math.max(0, counts.users - counts.enrolled);
    // the grace period counts from when the policy became required, the same for every user (mfa-gate.ts)
    const graceEnds = mfa.policy === 'required' ? (mfa.requiredSince ? Date.parse(mfa.requiredSince) : 0) + mfa.graceDays * DAY : null;
    const inGrace = graceEnds !== null && services.now() < graceEnds;
    ctx.body = {
      policy: mfa.policy,
      total_users: counts.users,
      enrolled: counts.enrolled,
      not_enrolled: notEnrolled,
      in_grace: inGrace ? notEnrolled : 0,
      overdue: graceEnds !== null && !inGrace ? notEnrolled : 0,
      grace_ends_at: graceEnds === null ? null : new Date(graceEnds).toISOString(),
      by_method: counts.byMethod,
    };
  });
}
