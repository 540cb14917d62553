// Signing in through an upstream identity provider, in three hops:
//   POST /t/{slug}/interaction/{uid}/federated/{connection}  state, nonce and PKCE made and kept; off to the upstream
//   GET|POST /t/{slug}/federated/callback                    the upstream's answer checked (state bound to this
//                                                            browser by a cookie), the code exchanged, the profile verified
//                                                            (a REST API sign-in, purpose rest, ends here: back to the
//                                                            app's page with a one-time token, rest-federated.routes.ts)
//   GET /t/{slug}/interaction/{uid}/federated/result/{ref}   back inside the interaction: which account it opens
// The callback sits outside the interaction path (the upstream needs one fixed redirect URI per tenant), so it
// hands the verified profile over by a single-use reference; only the browser holding the interaction can use it.
import Router from '@koa/router';
import type { Context } from 'koa';
import { formBody, field } from '../../interactions/interaction-context.js';
import { AppError } from '../../errors/app-error.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { maskDestination } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { LoginPage } from '../login-page.js';
import type { AccountLinking } from './account-linking.js';
import { displayName, type Connections } from './connections.js';
import { bindingHash, type FederationStore, type FlowState } from './federation-store.js';
import type { PendingLinks } from './pending-link.js';
import { UpstreamError, type UpstreamFailure } from './upstream.js';
import { bindingCookie, createUpstreamRedirect } from './upstream-redirect.js';

export interface FederatedDeps {
  connections: Connections;
  federation: FederationStore;
  linking: AccountLinking;
  pendingLinks: PendingLinks;
  https: boolean;
}

const failureMessages: Record<UpstreamFailure | 'state', { status: number; message: (name: string) => string }> = {
  denied: { status: 400, message: (name) => `${name} did not sign you in (it was cancelled or refused). You can try again or use another way in.` },
  unreachable: { status: 502, message: (name) => `${name} could not be reached just now. Try again in a moment, or use another way in.` },
  invalid_response: { status: 400, message: (name) => `${name} sent an answer that could not be trusted, so you were not signed in. Try again, or use another way in.` },
  not_allowed: { status: 403, message: (name) => `This ${name} account is not allowed to sign in here. Use the account your organisation gave you, or another way in.` },
  state: { status: 400, message: () => 'This sign-in was started in another browser, has expired, or was already used. Start again from the app.' },
};

export function federatedRoutes(deps: AuthMethodDeps & FederatedDeps, loginPage: LoginPage) {
  const { ix, audit, federation, connections, linking, users } = deps;
  const inInteraction = new Router({ prefix: '/t/:slug/interaction/:uid' });
  const callbacks = new Router({ prefix: '/t/:slug/federated' });
  const upstream = createUpstreamRedirect(deps);
  const callbackUrl = upstream.callbackUrl;

  /** saves the flow and sends the browser to the upstream; shared by sign-in and the account page's "link" */
  async function toUpstream(ctx: Context, connectionId: string, flow: Omit<FlowState, 'nonce' | 'codeVerifier' | 'binding' | 'connection'>): Promise<{ error: string; status: number } | null> {
    const tenant = ix.tenantOf(ctx);
    const sent = await upstream.redirect(ctx, tenant, connectionId, flow);
    if (sent.ok) return null;
    if (sent.failure === 'unknown_connection') return { error: ix.t(ctx, 'error.methodUnavailable'), status: 400 };
    await audit.record({ tenantId: tenant.id, type: 'federation.failed', subject: flow.userId, ...requestInfo(ctx), outcome: 'failure', data: { connection: connectionId, reason: sent.failure, detail: sent.detail } });
    return { error: failureMessages[sent.failure].message(sent.name), status: failureMessages[sent.failure].status };
  }

  inInteraction.post('/federated/:connection', formBody, async (ctx) => {
    const details = await ix.load(ctx);
    if (!details) return ix.expired(ctx);
    ix.verifyCsrf(ctx, details);
    const refused = await toUpstream(ctx, String(ctx.params.connection), { purpose: 'login', uid: details.uid, userId: null });
    if (refused) return loginPage.render(ctx, details, refused);
  });

  async function callback(ctx: Context, params: URLSearchParams) {
    const tenant = ix.tenantOf(ctx);
    const state = params.get('state') ?? '';
    const flow = state.length > 0 && state.length <= 128 ? await federation.takeState(tenant.id, state) : null;
    const cookie = ctx.cookies.get(bindingCookie);
    if (!flow || !cookie || bindingHash(cookie) !== flow.binding) {
      await audit.record({ tenantId: tenant.id, type: 'federation.failed', ...requestInfo(ctx), outcome: 'failure', data: { connection: flow?.connection ?? null, reason: flow ? 'browser_mismatch' : 'unknown_state' } });
      return failure(ctx, 'state', 'this app', null);
    }
    const back = flow.purpose === 'rest' ? null : flow.uid ? `/t/${tenant.slug}/interaction/${flow.uid}` : `/t/${tenant.slug}/account`;
    const found = connections.find(tenant.id, tenant.settings.connections, flow.connection);
    if (!found) return failure(ctx, 'denied', 'That way of signing in', back);
    const name = displayName(found.settings);
    let profile;
    try {
      profile = await found.connector.complete({ redirectUri: callbackUrl(tenant.slug), params, state, nonce: flow.nonce, codeVerifier: flow.codeVerifier });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      await audit.record({ tenantId: tenant.id, type: 'federation.failed', subject: flow.userId, ...requestInfo(ctx), outcome: 'failure', data: { connection: flow.connection, reason: error.failure, detail: error.detail } });
      return failure(ctx, error.failure, name, back);
    }
    if (flow.purpose === 'rest') {
      // the REST API's sign-in: back to the app's registered page with a one-time token for POST /v1/auth/federated/verify
      const token = await federation.saveResult(tenant.id, { uid: flow.uid!, connection: flow.connection, profile });
      ctx.status = 303;
      return ctx.redirect(`${flow.redirectTo!}${flow.redirectTo!.includes('?') ? '&' : '?'}type=federated&token=${token}`);
    }
    if (flow.purpose === 'login') {
      const ref = await federation.saveResult(tenant.id, { uid: flow.uid!, connection: flow.connection, profile });
      ctx.status = 303;
      return ctx.redirect(`/t/${tenant.slug}/interaction/${flow.uid}/federated/result/${ref}`);
    }
    // linking from the account page: only for the user still signed in in this browser
    const session = await ctx.state.provider!.Session.get(ctx as never);
    if (session.accountId !== flow.userId) return failure(ctx, 'state', name, back);
    let outcome = 'linked';
    try {
      await linking.link(tenant.id, flow.userId!, flow.connection, profile, 'account_page', requestInfo(ctx));
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'identity.taken')) throw error;
      outcome = 'taken';
    }
    ctx.status = 303;
    ctx.redirect(`/t/${tenant.slug}/account?m=${outcome}&c=${encodeURIComponent(flow.connection)}`);
  }

  async function failure(ctx: Context, kind: UpstreamFailure | 'state', name: string, backUrl: string | null) {
    const { status, message } = failureMessages[kind];
    await ix.render(ctx, 'notice', { title: 'notice.federatedFailedTitle', status, data: { heading: ix.t(ctx, 'notice.federatedFailedHeading'), message: message(name), backUrl } });
  }

  callbacks.get('/callback', async (ctx) => {
    const resume = typeof ctx.query.resume === 'string' ? ctx.query.resume : null;
    if (resume) {
      const fields = /^[A-Za-z0-9_-]{43}$/.test(resume) ? await federation.takePost(ix.tenantOf(ctx).id, resume) : null;
      return callback(ctx, new URLSearchParams(fields ?? {}));
    }
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(ctx.query)) if (typeof value === 'string') params.set(key, value);
    return callback(ctx, params);
  });

  // response_mode=form_post (Apple): a cross-site POST carries no SameSite=Lax cookie, so the fields are kept
  // for a moment and the browser comes back by GET, a top-level navigation that does carry it.
  callbacks.post('/callback', formBody, async (ctx) => {
    if (!ctx.is('application/x-www-form-urlencoded')) throw new AppError('request.unsupported_media_type', 'An upstream answers here with a form (response_mode=form_post).');
    const fields: Record<string, string> = {};
    for (const key of ['code', 'state', 'id_token', 'user', 'error', 'error_description', 'iss']) {
      const value = field(ctx, key);
      if (value) fields[key] = value.slice(0, 16_384);
    }
    const ref = await federation.stashPost(ix.tenantOf(ctx).id, fields);
    ctx.status = 303;
    ctx.redirect(`/t/${ix.tenantOf(ctx).slug}/federated/callback?resume=${ref}`);
  });

  inInteraction.get('/federated/result/:ref', async (ctx) => {
    const details = await ix.load(ctx);
    const tenant = ix.tenantOf(ctx);
    const ref = String(ctx.params.ref);
    // looked at before it is taken: a result of another sign-in (a REST API token brought here) stays its holder's
    const peeked = details && /^[A-Za-z0-9_-]{43}$/.test(ref) ? await federation.peekResult(tenant.id, ref) : null;
    const result = details && peeked?.uid === details.uid ? await federation.takeResult(tenant.id, ref) : null;
    if (!details || !result || result.uid !== details.uid) return ix.expired(ctx);
    const settings = tenant.settings.connections[result.connection];
    if (!settings?.enabled) return loginPage.render(ctx, details, { error: ix.t(ctx, 'error.methodUnavailable'), status: 400 });
    const name = displayName(settings);
    const request = requestInfo(ctx);
    const resolution = await linking.resolve({ tenantId: tenant.id, connectionId: result.connection, connection: settings, signUp: tenant.settings.signIn.signUp, profile: result.profile, request });
    switch (resolution.kind) {
      case 'sign_in':
        await audit.record({ tenantId: tenant.id, type: 'login.succeeded', actor: resolution.user.id, subject: resolution.user.id, ...request, data: { method: 'federated', connection: result.connection, issuer: result.profile.issuer } });
        return ix.finish(ctx, { login: { accountId: resolution.user.id, amr: ['fed'], remember: true } });
      case 'prove_existing':
        await deps.pendingLinks.save(tenant.id, details.uid, String(details.params.client_id), { userId: resolution.user.id, connection: result.connection, profile: result.profile });
        return ix.render(ctx, 'federated-link', {
          title: 'federatedLink.title', status: 409,
          data: { name, email: maskDestination(result.profile.email ?? ''), continueUrl: `${ix.base(ctx)}/federated/continue`, backUrl: ix.base(ctx) },
        });
      case 'sign_up_closed':
        return loginPage.render(ctx, details, { error: `No account here uses this ${name} account, and new accounts cannot be created. Sign in another way.`, status: 403 });
      default:
        await audit.record({ tenantId: tenant.id, type: 'login.failed', ...request, outcome: 'failure', data: { method: 'federated', connection: result.connection, reason: 'disabled' } });
        return ix.render(ctx, 'notice', { title: 'error.failedTitle', status: 401, data: { heading: ix.t(ctx, 'error.failedHeading'), message: ix.t(ctx, 'error.failedLead'), backUrl: null } });
    }
  });

  // "Sign in to link": the login page, the existing account's address filled in, saying why
  inInteraction.get('/federated/continue', async (ctx) => {
    const details = await ix.load(ctx);
    if (!details) return ix.expired(ctx);
    const tenant = ix.tenantOf(ctx);
    const pending = await deps.pendingLinks.peek(tenant.id, details.uid);
    const user = pending ? await users.findById(tenant.id, pending.userId) : null;
    const settings = pending ? tenant.settings.connections[pending.connection] : undefined;
    if (!pending || !user || !settings) return loginPage.render(ctx, details);
    return loginPage.render(ctx, details, { email: user.email ?? '', notice: ix.t(ctx, 'login.linkNotice', { name: displayName(settings) }) });
  });

  return { routers: [inInteraction, callbacks], toUpstream };
}
