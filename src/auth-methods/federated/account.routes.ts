// The account page, /t/{slug}/account: a signed-in user sees the upstream accounts linked to theirs, links another
// (the same upstream round trip as a sign-in, for the signed-in user) or unlinks one — never the last way in.
// Who is signed in is the tenant's own provider session; a visitor without one signs in through the tenant's
// static `tessera-account` client like any app would.
import Router from '@koa/router';
import type { Context } from 'koa';
import * as oauth from 'openid-client';
import type { UserRecord } from '../../db/users.repository.js';
import type { IdentitiesRepository, IdentityRecord } from '../../db/identities.repository.js';
import { formBody } from '../../interactions/interaction-context.js';
import { accountClientId } from '../../oidc/provider-config.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { LoginPage } from '../login-page.js';
import { displayName } from './connections.js';
import { accountDestination, accountSession, accountSignInUrl } from '../account/account-session.js';
import type { FederatedDeps } from './federated.routes.js';

type StartUpstream = (ctx: Context, connectionId: string, flow: { purpose: 'link'; uid: null; userId: string }) => Promise<{ error: string; status: number } | null>;

/** ?m= values and the catalogue keys of their notices (each names the connection as {{name}}) */
const messages: Record<string, string> = {
  linked: 'account.linkedNotice.linked',
  taken: 'account.linkedNotice.taken',
  unlinked: 'account.linkedNotice.unlinked',
  last: 'account.linkedNotice.last',
};

export function accountRoutes(deps: AuthMethodDeps & FederatedDeps & { identities: IdentitiesRepository; toUpstream: StartUpstream }, loginPage: LoginPage) {
  const { ix, users, identities, connections, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/account' });

  const signedIn = (ctx: Context) => accountSession(ctx, users);

  /** how many ways into the account there are, were `without` removed */
  function waysIn(ctx: Context, user: UserRecord, linked: IdentityRecord[], without: string): number {
    const methods = loginPage.methods(ix.tenantOf(ctx));
    const byEmail = !!user.email && (user.emailVerified || !!user.passwordHash) && (methods.password && !!user.passwordHash || methods.emailOtp || methods.magicLink || methods.passwordReset);
    const byPhone = !!user.phone && user.phoneVerified && methods.phone;
    return linked.filter((i) => i.connection !== without).length + Number(byEmail) + Number(byPhone);
  }

  async function page(ctx: Context, status = 200) {
    const tenant = ix.tenantOf(ctx);
    const me = await signedIn(ctx);
    if (!me) {
      return ix.render(ctx, 'account', { title: 'account.title', status, data: { signedIn: false, signInUrl: accountSignInUrl(tenant.slug, ctx.path) } });
    }
    const linked = await identities.listForUser(tenant.id, me.user.id);
    const available = connections.buttons(tenant.settings.connections);
    const known = (id: string) => Object.hasOwn(tenant.settings.connections, id);
    const nameOf = (id: string) => (known(id) ? displayName(tenant.settings.connections[id]!) : id);
    // a notice names one of the tenant's connections, or is not shown: ?c= is anyone's text in a link otherwise
    const c = typeof ctx.query.c === 'string' && known(ctx.query.c) ? ctx.query.c : null;
    const m = c && typeof ctx.query.m === 'string' && Object.hasOwn(messages, ctx.query.m) ? ctx.query.m : null;
    await ix.render(ctx, 'account', {
      title: 'account.title', status,
      data: {
        signedIn: true, who: me.user.email ?? me.user.phone ?? String(me.user.profile.name ?? ''),
        csrfToken: ix.csrfToken({ uid: me.binding }), base: `/t/${tenant.slug}/account`,
        notice: m && c ? ix.t(ctx, messages[m]!, { name: nameOf(c) }) : null, isError: m === 'taken' || m === 'last',
        linked: linked.map((i) => ({ connection: i.connection, name: nameOf(i.connection), email: i.email, since: i.createdAt.toISOString().slice(0, 10), removable: waysIn(ctx, me.user, linked, i.connection) > 0 })),
        addable: available.filter((b) => !linked.some((i) => i.connection === b.id)),
      },
    });
  }

  router.get('/', (ctx) => page(ctx));

  // The account page the user was going to rides in the state, as a path that accountDestination() re-checks
  // on the way back: only the account pages themselves can be reached, so the state is no open redirect.
  router.get('/sign-in', async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const next = accountDestination(tenant.slug, `/t/${tenant.slug}/account${typeof ctx.query.next === 'string' ? ctx.query.next : ''}`);
    const url = new URL(`${deps.publicOrigin}/t/${tenant.slug}/auth`);
    url.search = new URLSearchParams({
      client_id: accountClientId, response_type: 'code', scope: 'openid', redirect_uri: `${deps.publicOrigin}/t/${tenant.slug}/account/callback`,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: `${oauth.randomState()}${next}`,
    }).toString();
    ctx.status = 303;
    ctx.redirect(url.href);
  });

  // the sign-in has made the provider session; the code itself is not needed
  router.get('/callback', (ctx) => {
    const slug = ix.tenantOf(ctx).slug;
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const slash = state.indexOf('/');
    ctx.status = 303;
    ctx.redirect(`/t/${slug}/account${slash < 0 ? '' : accountDestination(slug, `/t/${slug}/account${state.slice(slash)}`)}`);
  });

  router.post('/link/:connection', formBody, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return page(ctx, 401);
    ix.verifyCsrf(ctx, { uid: me.binding });
    const refused = await deps.toUpstream(ctx, String(ctx.params.connection), { purpose: 'link', uid: null, userId: me.user.id });
    if (refused) return page(ctx, refused.status);
  });

  router.post('/unlink/:connection', formBody, async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const me = await signedIn(ctx);
    if (!me) return page(ctx, 401);
    ix.verifyCsrf(ctx, { uid: me.binding });
    const connection = String(ctx.params.connection).slice(0, 32);
    const linked = await identities.listForUser(tenant.id, me.user.id);
    let outcome = 'unlinked';
    if (!linked.some((i) => i.connection === connection)) outcome = 'unlinked';
    else if (waysIn(ctx, me.user, linked, connection) === 0) outcome = 'last';
    else if (await identities.remove(tenant.id, me.user.id, connection)) {
      await audit.record({ tenantId: tenant.id, type: 'identity.unlinked', actor: me.user.id, subject: me.user.id, ...requestInfo(ctx), data: { connection } });
    }
    ctx.status = 303;
    ctx.redirect(`/t/${tenant.slug}/account?m=${outcome}&c=${encodeURIComponent(connection)}`);
  });

  return router;
}
