// PKCE on the REST auth API's sign-in links (RFC 7636, Supabase Auth's PKCE flow), over HTTP against real PostgreSQL
// and Redis: POST /v1/auth/magic-link with an S256 code_challenge binds the emailed link — and the email's code — to
// the holder of the code_verifier. A missing or wrong verifier is refused and spends nothing, so the app and device
// that asked still sign in; a verifier for a link asked for without a challenge is refused (the downgrade rule of
// RFC 9700 §2.1.1); plain is refused. The tenant setting headless.requirePkce (CLI and Management API) makes the
// challenge mandatory. The SDK uses PKCE by default, keeping the verifier in its storage. The email says which kind of
// link it carries (issue #13), in the language of the call.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { auditEvents, outbox, redisContents } from '../support/email-flows.js';
import { client as managementClient, operator } from '../support/management.js';
import { useTessera } from '../support/use-tessera.js';
import { createClient, memoryStorage, TesseraError } from '../../src/sdk/index.js';
import { expectError, ok } from '../support/json-answers.js';

interface Tokens { access_token: string; user?: { id: string } }
type Entry = Awaited<ReturnType<typeof outbox>>[number];

const appPage = 'https://app.example.com/auth/confirm';
const pair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe('REST auth API sign-in links with PKCE', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;

  const call = (path: string, body: unknown, base = issuer) =>
    fetch(`${base}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });


  const linksTo = async (to: string, base: string) => (await outbox(base)).filter((e) => e.to === to && e.link);

  /** the newest message to `to` with a link, once more than `since` went out */
  async function mailTo(to: string, base = issuer, since = 0): Promise<Entry> {
    for (let i = 0; i < 100; i++) {
      const found = await linksTo(to, base);
      if (found.length > since) return found[0]!;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no link for ${to}`);
  }

  const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

  /** asks for a link with these extra fields; the mail that came */
  async function ask(email: string, extra: Record<string, unknown>, base = issuer): Promise<Entry> {
    const since = (await linksTo(email, base)).length;
    await ok(await call('auth/magic-link', { email, redirect_to: appPage, ...extra }, base), 202);
    return mailTo(email, base, since);
  }

  async function linkTenant(headless: Record<string, unknown> = {}) {
    const made = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', made.slug, '--set', JSON.stringify({
      headless: { restApi: true, redirectUris: [appPage], ...headless },
      signIn: { signUp: false, methods: { magicLink: true } },
    })]);
    return made;
  }

  before(async () => {
    ({ slug, issuer } = await linkTenant());
  });

  it('only the right verifier signs in; a missing, malformed or wrong one is refused, audited, and spends nothing', async () => {
    const user = await createUser(server, slug);
    const { verifier, challenge } = pair();
    const token = tokenOf((await ask(user.email, { code_challenge: challenge, code_challenge_method: 'S256' })).link!);
    await expectError(await call('auth/magic-link/verify', { token }), 400, 'pkce.invalid_verifier');
    await expectError(await call('auth/magic-link/verify', { token, code_verifier: pair().verifier }), 400, 'pkce.invalid_verifier');
    await expectError(await call('auth/magic-link/verify', { token, code_verifier: challenge }), 400, 'pkce.invalid_verifier');
    await expectError(await call('auth/magic-link/verify', { token, code_verifier: 'short' }), 400, 'pkce.invalid_verifier');
    await expectError(await call('auth/magic-link/verify', { token, code_verifier: `${verifier.slice(0, -1)}+` }), 400, 'pkce.invalid_verifier');
    const refusals = (await auditEvents(server.env.DATABASE_URL!, slug)).filter((e) => e.type === 'login.failed' && e.data.reason === 'pkce.invalid_verifier');
    assert.equal(refusals.length, 5);
    assert.equal(refusals[0]!.data.method, 'magic_link');
    // the rightful holder, after all of that (and under Supabase's name for the token)
    const tokens = await ok<Tokens>(await call('auth/magic-link/verify', { auth_code: token, code_verifier: verifier }));
    assert.equal(decodeJwt(tokens.access_token).sub, user.id);
    await expectError(await call('auth/magic-link/verify', { token, code_verifier: verifier }), 400, 'magiclink.invalid');
  });

  it('the email\'s code of a PKCE link answers only with the verifier; a verifier on a link asked for without a challenge is refused', async () => {
    const user = await createUser(server, slug);
    const { verifier, challenge } = pair();
    const mail = await ask(user.email, { code_challenge: challenge, code_challenge_method: 's256' });
    await expectError(await call('auth/otp/verify', { email: user.email, code: mail.code }), 400, 'pkce.invalid_verifier');
    await expectError(await call('auth/otp/verify', { email: user.email, code: mail.code, code_verifier: pair().verifier }), 400, 'pkce.invalid_verifier');
    // no attempt was counted against the code: it still works, with the verifier
    const tokens = await ok<Tokens>(await call('auth/otp/verify', { email: user.email, code: mail.code, code_verifier: verifier }));
    assert.equal(decodeJwt(tokens.access_token).sub, user.id);

    const other = await createUser(server, slug);
    const plain = tokenOf((await ask(other.email, {})).link!);
    // a page holding a verifier expects its own sign-in, not a token someone else's flow put in its URL
    await expectError(await call('auth/magic-link/verify', { token: plain, code_verifier: verifier }), 400, 'pkce.invalid_verifier');
    const signedIn = await ok<Tokens>(await call('auth/magic-link/verify', { token: plain }));
    assert.equal(decodeJwt(signedIn.access_token).sub, other.id);
  });

  it('the email says what its link does: a PKCE link works only on the device that asked, a plain one where it is opened (English, German)', async () => {
    const [user, other] = [await createUser(server, slug), await createUser(server, slug)];
    const pkce = { code_challenge: pair().challenge, code_challenge_method: 'S256' };
    const bound = await ask(user.email, pkce);
    assert.match(bound.text, /The link works only on the device, and in the app or browser, where you asked to sign in: open it there\. Opened anywhere else, it signs in nobody\./);
    assert.match(bound.text, /If you did not try to sign in, you can ignore this email/);
    assert.doesNotMatch(bound.text, /where you open it/);
    const plain = await ask(user.email, {});
    assert.match(plain.text, /The link signs you in on the device and in the browser where you open it\. It signs in nobody else\./);
    assert.doesNotMatch(plain.text, /where you asked to sign in/);

    const boundDe = await ask(other.email, { ...pkce, locale: 'de' });
    assert.match(boundDe.text, /Der Link funktioniert nur dort, wo Sie die Anmeldung angefordert haben – auf demselben Gerät und in derselben App bzw\. demselben Browser: Öffnen Sie ihn dort\./);
    assert.match(boundDe.text, /Wenn Sie nicht versucht haben, sich anzumelden, können Sie diese E-Mail ignorieren/);
    assert.doesNotMatch(boundDe.text, /in dem Sie ihn öffnen/);
    const plainDe = await ask(other.email, { locale: 'de' });
    assert.match(plainDe.text, /Der Link meldet Sie auf dem Gerät und in dem Browser an, in dem Sie ihn öffnen\./);
    assert.doesNotMatch(plainDe.text, /angefordert haben/);
  });

  it('refuses plain, a challenge without a method and malformed challenges before anything is sent; nothing readable is stored', async () => {
    const user = await createUser(server, slug);
    const { verifier, challenge } = pair();
    const refused: Array<[Record<string, unknown>, string]> = [
      [{ code_challenge: verifier, code_challenge_method: 'plain' }, 'pkce.method_not_supported'],
      [{ code_challenge: challenge }, 'pkce.method_not_supported'],
      [{ code_challenge: challenge, code_challenge_method: 'S512' }, 'pkce.method_not_supported'],
      [{ code_challenge_method: 'S256' }, 'pkce.invalid_challenge'],
      [{ code_challenge: challenge.slice(1), code_challenge_method: 'S256' }, 'pkce.invalid_challenge'],
      [{ code_challenge: `${challenge}=`, code_challenge_method: 'S256' }, 'pkce.invalid_challenge'],
      [{ code_challenge: `${challenge.slice(1)}+`, code_challenge_method: 'S256' }, 'pkce.invalid_challenge'],
      [{ code_challenge: [challenge], code_challenge_method: 'S256' }, 'pkce.invalid_challenge'],
    ];
    for (const [extra, error] of refused) await expectError(await call('auth/magic-link', { email: user.email, redirect_to: appPage, ...extra }), 400, error);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await outbox(issuer)).filter((e) => e.to === user.email).length, 0);

    await ask(user.email, { code_challenge: challenge, code_challenge_method: 'S256' });
    const stored = [...(await redisContents(server.env.REDIS_URL!, server.env.REDIS_PREFIX!)).values()].join('\n');
    assert.ok(!stored.includes(challenge) && !stored.includes(verifier), 'the challenge rests sealed with the login transaction');
  });

  it('headless.requirePkce (CLI and Management API): a start without a challenge is refused, and so is a link asked for before', async () => {
    const strict = await linkTenant();
    const user = await createUser(server, strict.slug);
    const before = tokenOf((await ask(user.email, {}, strict.issuer)).link!);
    await cliJson(server, ['tenant', 'settings', '--tenant', strict.slug, '--set', JSON.stringify({ headless: { requirePkce: true } })]);
    await expectError(await call('auth/magic-link', { email: user.email, redirect_to: appPage }, strict.issuer), 400, 'pkce.required');
    await expectError(await call('auth/magic-link/verify', { token: before }, strict.issuer), 400, 'pkce.required');
    const { verifier, challenge } = pair();
    const token = tokenOf((await ask(user.email, { code_challenge: challenge, code_challenge_method: 'S256' }, strict.issuer)).link!);
    const tokens = await ok<Tokens>(await call('auth/magic-link/verify', { token, code_verifier: verifier }, strict.issuer));
    assert.equal(decodeJwt(tokens.access_token).sub, user.id);

    // the Management API reads and turns off the same setting (a merge patch of the tenant's settings)
    const api = managementClient(server, (await operator(server, ['tenants:read', 'tenants:write'])).token);
    assert.equal((await api.get(`/tenants/${strict.slug}/settings`)).body.effective.headless.requirePkce, true);
    const patched = await api.patch(`/tenants/${strict.slug}/settings`, { headless: { requirePkce: false } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.effective.headless.requirePkce, false);
    await ok(await call('auth/magic-link', { email: user.email, redirect_to: appPage }, strict.issuer), 202);
    const wrong = await api.patch(`/tenants/${strict.slug}/settings`, { headless: { requirePkce: 'yes' } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'tenant.invalid_settings');
  });

  it('the SDK: a link asked for by signInWithOtp signs in only the client that asked; exchangeCodeForSession sends its verifier', async () => {
    const user = await createUser(server, slug);
    const storage = memoryStorage();
    const asker = createClient({ issuer, clientId: 'tessera-rest', storage });
    const elsewhere = createClient({ issuer, clientId: 'tessera-rest', storage: memoryStorage() });
    try {
      assert.equal((await asker.auth.signInWithOtp({ email: user.email, options: { emailRedirectTo: appPage } })).status, 'link_sent');
      const link = (await mailTo(user.email)).link!;
      const stored = storage.getItem(`tessera:${issuer}:tessera-rest:code-verifier`) as string;
      assert.match(stored, /^[\w-]{43}$/);
      // the link bound to that verifier: the server refuses the token without it (another device, another app)
      await expectError(await call('auth/magic-link/verify', { token: tokenOf(link) }), 400, 'pkce.invalid_verifier');
      const other = await elsewhere.auth.verifyOtp({ token_hash: tokenOf(link), type: 'magiclink' }).catch((error: unknown) => error);
      assert.ok(other instanceof TesseraError);
      assert.equal(other.code, 'pkce.invalid_verifier');
      const result = await asker.auth.exchangeCodeForSession(link);
      assert.equal(result.status, 'signed_in');
      assert.equal((await asker.auth.getUser()).id, user.id);
      assert.equal(storage.getItem(`tessera:${issuer}:tessera-rest:code-verifier`), null, 'a used verifier is forgotten');
      const bad = await asker.auth.exchangeCodeForSession(`${appPage}?type=signup&token=x`).catch((error: unknown) => error);
      assert.equal((bad as TesseraError).code, 'sdk.invalid_callback');
    } finally {
      asker.dispose();
      elsewhere.dispose();
    }
  });

  it('the SDK with flowType implicit sends no challenge, which a tenant requiring PKCE refuses', async () => {
    const strict = await linkTenant({ requirePkce: true });
    const user = await createUser(server, strict.slug);
    const implicit = createClient({ issuer: strict.issuer, clientId: 'tessera-rest', storage: memoryStorage(), flowType: 'implicit' });
    const pkce = createClient({ issuer: strict.issuer, clientId: 'tessera-rest', storage: memoryStorage() });
    try {
      const refused = await implicit.auth.signInWithOtp({ email: user.email, options: { emailRedirectTo: appPage } }).catch((error: unknown) => error);
      assert.equal((refused as TesseraError).code, 'pkce.required');
      await pkce.auth.signInWithOtp({ email: user.email, options: { emailRedirectTo: appPage } });
      // the email's code, typed in the app that asked, carries the verifier too
      const result = await pkce.auth.verifyOtp({ email: user.email, code: (await mailTo(user.email, strict.issuer)).code! });
      assert.equal(result.status, 'signed_in');
    } finally {
      implicit.dispose();
      pkce.dispose();
    }
  });
});
