// Operators sign in through the system tenant's own authorization endpoint, as the `tessera-admin` public client
// with PKCE, so the system tenant's sign-in methods and MFA policy apply. The code comes back to this process, which
// redeems it in-process (PKCE, client, redirect_uri and expiry checked as the token endpoint would, then consumed
// atomically): no call to our own public URL, which a server behind a proxy may not reach.
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import * as oauth from 'openid-client';
import { errors } from 'oidc-provider';
import { adminClientId } from '../oidc/provider-config.js';
import { managementAudience } from '../tenants/system-tenant.js';
import { systemSlug } from '../tenants/issuer.js';
import { AppError } from '../errors/app-error.js';
import { recordAdminAction } from '../audit/admin-actions.js';
import type { AdminKit, Operator } from './admin-kit.js';
import type { AdminSessionRecord } from './admin-session.js';
import { operatorTenants } from '../management/operator-access.js';

const operatorRoles = new Set(['owner', 'admin', 'viewer']);

/** only paths of the console itself: never an open redirect */
const safeReturn = (value: unknown) => (typeof value === 'string' && /^\/admin(\/[A-Za-z0-9/_.~%-]*)?$/.test(value) && !/\/\/|\.\./.test(value) ? value : '/admin');

export function adminSignInRoutes(kit: AdminKit) {
  const { services, sessions, publicUrl } = kit.deps;
  const origin = publicUrl.origin;
  const callbackUrl = `${origin}/admin/callback`;
  const router = new Router({ prefix: '/admin' });
  let systemTenantId: string | undefined;
  const systemId = async () => (systemTenantId ??= (await services.tenants.get(systemSlug)).id);
  const endSessionUrl = `${origin}/t/${systemSlug}/session/end?${new URLSearchParams({ client_id: adminClientId, post_logout_redirect_uri: `${origin}/admin` })}`;

  /** the operator behind a console session, or null when the user is gone, disabled or holds no operator role */
  async function operatorFor(record: AdminSessionRecord): Promise<Operator | null> {
    const tenantId = await systemId();
    const user = await services.userAdmin.find({ id: tenantId, slug: systemSlug }, record.userId).catch((error: unknown) => {
      if (error instanceof AppError) return null; // deleted since
      throw error;
    });
    if (!user || user.disabled) return null;
    const claims = await services.rbac.claimsFor(tenantId, { userId: user.id }, managementAudience(publicUrl));
    const roles = claims.roles.filter((r) => operatorRoles.has(r));
    if (!roles.length) return null;
    // `tenants: [slugs]` in the operator's metadata limits them to those tenants, as it does their API tokens
    const consoleClient = await services.clients.sourceFor(tenantId).find(adminClientId);
    const tenants = operatorTenants({ client: consoleClient?.operator_tenants, user: user.metadata.tenants });
    return {
      userId: user.id, label: user.email ?? user.phone ?? String(user.profile.name ?? user.id), session: record, roles,
      permissions: new Set(claims.permissions), tenants,
    };
  }

  async function refused(ctx: Context) {
    await kit.render(ctx, 'refused', { title: 'console.refused.title', status: 403, data: { signOutUrl: endSessionUrl } });
  }

  /** `message`: a catalogue key */
  async function problem(ctx: Context, message: string, status = 400) {
    const { t } = await kit.words(ctx);
    await kit.render(ctx, 'problem', { title: 'console.problem.signInTitle', status, data: { heading: t('console.problem.signInHeading'), message: t(message), retryUrl: '/admin/sign-in' } });
  }

  router.get('/sign-in', async (ctx) => {
    if (await sessions.current(ctx)) {
      ctx.status = 303;
      return ctx.redirect('/admin');
    }
    const verifier = oauth.randomPKCECodeVerifier();
    const state = oauth.randomState();
    // a language asked for here (OIDC Core §3.1.2.1 ui_locales) shows the sign-in pages and then the console in it
    const uiLocales = typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales.trim().slice(0, 200) : '';
    await sessions.begin(ctx, state, { verifier, returnTo: safeReturn(ctx.query.next), ...(uiLocales ? { uiLocales } : {}) });
    const url = new URL(`${origin}/t/${systemSlug}/auth`);
    url.search = new URLSearchParams({
      client_id: adminClientId, response_type: 'code', scope: 'openid', redirect_uri: callbackUrl,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
      ...(uiLocales ? { ui_locales: uiLocales } : {}),
    }).toString();
    ctx.status = 303;
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = await sessions.finish(ctx, state);
    if (!pending) return problem(ctx, 'console.problem.signInExpired');
    if (typeof ctx.query.error === 'string') return problem(ctx, 'console.problem.signInCancelled');
    const resolved = await services.providers.get(systemSlug);
    const code = resolved && typeof ctx.query.code === 'string' && ctx.query.code.length <= 200 ? await resolved.provider.AuthorizationCode.find(ctx.query.code) : undefined;
    const challenge = createHash('sha256').update(pending.verifier).digest('base64url');
    if (!code || !code.isValid || code.clientId !== adminClientId || code.redirectUri !== callbackUrl || code.codeChallenge !== challenge || !code.accountId) {
      return problem(ctx, 'console.problem.signInUnverified');
    }
    try {
      await code.consume();
    } catch (error) {
      // consume() is an atomic compare-and-set (consume-policy.ts): losing it means another request redeemed it
      if (!(error instanceof errors.InvalidGrant)) throw error;
      return problem(ctx, 'console.problem.signInUsed');
    }
    const record = await sessions.open(ctx, code.accountId, code.sessionUid ?? null, pending.uiLocales);
    const operator = await operatorFor(record);
    if (!operator) {
      await sessions.end(ctx, record);
      await recordAdminAction(services.audit, {
        tenantId: await systemId(), type: 'admin.sign_in_refused', actor: code.accountId, subject: code.accountId, clientId: adminClientId,
        ip: ctx.ip, userAgent: ctx.get('User-Agent') || null, outcome: 'failure', data: { reason: 'no_operator_role' },
      });
      return refused(ctx);
    }
    ctx.state.operator = operator;
    await kit.audit(ctx, await systemId(), 'admin.signed_in', { subject: operator.userId, clientId: adminClientId });
    ctx.status = 303;
    ctx.redirect(pending.returnTo);
  });

  /** whether the system-tenant session the console session came from still exists (not signed out, not revoked) */
  async function systemSessionLives(record: AdminSessionRecord): Promise<boolean> {
    if (!record.sessionUid) return true;
    const resolved = await services.providers.get(systemSlug);
    return !!(await resolved?.provider.Session.findByUid(record.sessionUid));
  }

  // Everything below needs a console session held by an operator. Revoking the operator's system-tenant session
  // (console, account page, Management API) ends their console session with it.
  async function authenticate(ctx: Context, next: Next) {
    let record = await sessions.current(ctx);
    if (record && !(await systemSessionLives(record))) {
      await sessions.end(ctx, record);
      record = null;
    }
    if (!record) {
      ctx.status = 303;
      return ctx.redirect(`/admin/sign-in${ctx.method === 'GET' ? `?next=${encodeURIComponent(safeReturn(ctx.path))}` : ''}`);
    }
    const operator = await operatorFor(record);
    if (!operator) {
      await sessions.end(ctx, record);
      return refused(ctx);
    }
    ctx.state.operator = operator;
    await next();
  }

  // Ends the console session, then the system tenant's session (RP-initiated logout), which comes back to /admin.
  router.post('/sign-out', authenticate, async (ctx) => {
    kit.verifyCsrf(ctx);
    const operator = kit.operatorOf(ctx);
    await sessions.end(ctx, operator.session);
    await kit.audit(ctx, await systemId(), 'admin.signed_out', { subject: operator.userId, clientId: adminClientId });
    ctx.status = 303;
    ctx.redirect(endSessionUrl);
  });

  return { router, authenticate };
}
