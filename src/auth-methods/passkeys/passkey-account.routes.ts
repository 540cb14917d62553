// /t/{slug}/account/passkeys: the signed-in user's passkeys — name, created, last used — with rename, remove and
// "Add a passkey" (a registration ceremony bound to the account session). Who is signed in is the tenant's provider
// session, as on the account page (federated/account.routes.ts); a visitor signs in through it first.
import Router from '@koa/router';
import type { Context } from 'koa';
import { formBody, field } from '../../interactions/interaction-context.js';
import { accountSession, accountSignInUrl } from '../account/account-session.js';
import { deviceOf } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { PasskeyDeps } from './passkey-deps.js';
import { allowPasskeyScript, credentialBody, jsonError, jsonOptions } from './passkey-http.js';
import { MAX_PASSKEYS_PER_USER, parseRegistration, type CeremonyFailure, type WebAuthnService } from './webauthn.service.js';

/** ?m= values and the catalogue keys of their notices */
const notices: Record<string, string> = {
  added: 'passkeys.added',
  renamed: 'passkeys.renamed',
  removed: 'passkeys.removed',
};

/** the catalogue keys of a refused registration (`limit` takes the limit as {{count}}) */
const registrationErrors: Partial<Record<CeremonyFailure, string>> = {
  taken: 'passkeys.taken',
  limit: 'passkeys.limit',
  challenge: 'passkeys.expiredRequest',
};

/** a name as typed, without control characters, at most 64 characters */
const cleanName = (value: string) => value.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 64);
const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : null);

export function passkeyAccountRouter(deps: PasskeyDeps & { webauthn: WebAuthnService }) {
  const { ix, users, audit, passkeys, webauthn } = deps;
  const router = new Router({ prefix: '/t/:slug/account/passkeys' });
  const signedIn = (ctx: Context) => accountSession(ctx, users);
  const enabled = (ctx: Context) => ix.tenantOf(ctx).settings.mfa.factors.passkey;

  /** options.error: a catalogue key */
  async function page(ctx: Context, options: { status?: number; error?: string } = {}) {
    const tenant = ix.tenantOf(ctx);
    const me = await signedIn(ctx);
    const base = `/t/${tenant.slug}/account/passkeys`;
    if (!me) {
      return ix.render(ctx, 'account-passkeys', { title: 'account.passkeysTitle', status: options.status ?? 200, data: { signedIn: false, signInUrl: accountSignInUrl(tenant.slug, ctx.path) } });
    }
    const list = await passkeys.listForUser(tenant.id, me.user.id);
    const t = (key: string) => ix.t(ctx, key, { count: MAX_PASSKEYS_PER_USER });
    const m = typeof ctx.query.m === 'string' && Object.hasOwn(notices, ctx.query.m) ? ctx.query.m : null;
    allowPasskeyScript(ctx);
    await ix.render(ctx, 'account-passkeys', {
      title: 'account.passkeysTitle', status: options.status ?? 200,
      data: {
        signedIn: true, who: me.user.email ?? me.user.phone ?? String(me.user.profile.name ?? ''),
        csrfToken: ix.csrfToken({ uid: me.binding }), base, accountUrl: `/t/${tenant.slug}/account`,
        available: enabled(ctx) && list.length < MAX_PASSKEYS_PER_USER, enabled: enabled(ctx),
        notice: options.error ? t(options.error) : m ? t(notices[m]!) : null, isError: !!options.error,
        passkeys: list.map((p) => ({ id: p.id, name: p.name, created: day(p.createdAt), lastUsed: day(p.lastUsedAt), synced: p.backedUp })),
      },
    });
  }

  const done = (ctx: Context, outcome: string) => {
    ctx.status = 303;
    ctx.redirect(`/t/${ix.tenantOf(ctx).slug}/account/passkeys?m=${outcome}`);
  };

  router.get('/', (ctx) => page(ctx));

  router.get('/options', async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return jsonError(ctx, 401, 'auth.unauthorized', ix.t(ctx, 'passkeys.signInAgain'));
    if (!enabled(ctx)) return jsonError(ctx, 404, 'route.not_found', ix.t(ctx, 'passkeys.notAvailable'));
    const name = me.user.email ?? me.user.phone ?? me.user.id;
    const displayName = typeof me.user.profile.name === 'string' && me.user.profile.name ? me.user.profile.name.slice(0, 64) : name;
    const options = await webauthn.registrationOptions(ix.tenantOf(ctx), me.binding, { id: me.user.id, name, displayName });
    if (!options) return jsonError(ctx, 409, 'request.invalid', ix.t(ctx, 'passkeys.limit', { count: MAX_PASSKEYS_PER_USER }));
    jsonOptions(ctx, options);
  });

  router.post('/', credentialBody, async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const me = await signedIn(ctx);
    if (!me) return page(ctx, { status: 401 });
    ix.verifyCsrf(ctx, { uid: me.binding });
    if (!enabled(ctx)) return page(ctx, { status: 400, error: 'passkeys.notAvailable' });
    const response = parseRegistration(field(ctx, 'credential'));
    if (!response) return page(ctx, { status: 400, error: 'passkeys.noCredential' });
    const name = cleanName(field(ctx, 'name')) || deviceOf(requestInfo(ctx).userAgent);
    const result = await webauthn.register(tenant, me.binding, me.user.id, response, name);
    if (!result.ok) {
      return page(ctx, { status: result.reason === 'taken' ? 409 : 400, error: registrationErrors[result.reason] ?? 'passkeys.failed' });
    }
    await audit.record({
      tenantId: tenant.id, type: 'passkey.registered', actor: me.user.id, subject: me.user.id, ...requestInfo(ctx),
      data: { passkeyId: result.passkey.id, deviceType: result.passkey.deviceType, backedUp: result.passkey.backedUp },
    });
    return done(ctx, 'added');
  });

  router.post('/:id/rename', formBody, async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const me = await signedIn(ctx);
    if (!me) return page(ctx, { status: 401 });
    ix.verifyCsrf(ctx, { uid: me.binding });
    const name = cleanName(field(ctx, 'name'));
    if (!name) return page(ctx, { status: 400, error: 'passkeys.nameRequired' });
    const id = String(ctx.params.id);
    if (!(await passkeys.rename(tenant.id, me.user.id, id, name))) return page(ctx, { status: 404, error: 'passkeys.gone' });
    await audit.record({ tenantId: tenant.id, type: 'passkey.renamed', actor: me.user.id, subject: me.user.id, ...requestInfo(ctx), data: { passkeyId: id } });
    return done(ctx, 'renamed');
  });

  router.post('/:id/remove', formBody, async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const me = await signedIn(ctx);
    if (!me) return page(ctx, { status: 401 });
    ix.verifyCsrf(ctx, { uid: me.binding });
    const id = String(ctx.params.id);
    if (!(await passkeys.remove(tenant.id, me.user.id, id))) return page(ctx, { status: 404, error: 'passkeys.gone' });
    await audit.record({ tenantId: tenant.id, type: 'passkey.removed', actor: me.user.id, subject: me.user.id, ...requestInfo(ctx), data: { passkeyId: id } });
    return done(ctx, 'removed');
  });

  return router;
}
