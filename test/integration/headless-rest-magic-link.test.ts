// Sign-in links through the REST auth API (issue #16 §3) over HTTP: POST /v1/auth/magic-link emails a link to a
// redirect URI registered for the calling app (exact match) with a one-time token; the app's page in the browser
// that opened it answers POST /v1/auth/magic-link/verify {token} and gets tokens, or the challenge envelope when a
// second factor is due. The link signs in the browser that opens it and nobody else (issue #13 finding 1): the asking
// side holds nothing that a click elsewhere completes, and the click ends the asker's sign-in. Single use, a short
// TTL, the same answer for unknown addresses, the hosted page's send limits, and every documented error.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser } from '../support/browser.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { outbox, uniqueEmail } from '../support/email-flows.js';
import { enrolTotp, signInToAccount } from '../support/mfa-flows.js';
import { letTimePass } from '../support/test-clock.js';
import { useTessera } from '../support/use-tessera.js';
import { createClient, memoryStorage, TesseraError } from '../../src/sdk/index.js';
import { expectError, ok } from '../support/json-answers.js';

interface Tokens { access_token: string; refresh_token: string; user?: { id: string; email: string | null; created: boolean } }
interface Envelope { status: string; challenge: { id: string; kind: string; methods: string[] } }
type Entry = Awaited<ReturnType<typeof outbox>>[number];

const appPage = 'https://app.example.com/auth/confirm';

describe('REST auth API sign-in links', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;

  const call = (path: string, body: unknown, headers: Record<string, string> = {}, base = issuer) =>
    fetch(`${base}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });


  /** the newest message to `to` with a link, once more than `since` went out */
  async function mailTo(to: string, since = 0, base = issuer): Promise<Entry> {
    for (let i = 0; i < 100; i++) {
      const found = (await outbox(base)).filter((e) => e.to === to && e.link);
      if (found.length > since) return found[0]!;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no link for ${to}`);
  }

  /** what the app's page at the redirect URI reads from the link it was opened with */
  function tokenOf(link: string, base = appPage): string {
    const url = new URL(link);
    assert.equal(`${url.origin}${url.pathname}`, base, 'the link leads to the registered redirect URI');
    assert.equal(url.searchParams.get('type'), 'magiclink');
    const token = url.searchParams.get('token');
    assert.match(token ?? '', /^[\w-]{43}$/);
    return token!;
  }

  async function linkFor(email: string, since = 0): Promise<{ token: string; mail: Entry }> {
    assert.deepEqual(Object.keys(await ok<Record<string, unknown>>(await call('auth/magic-link', { email, redirect_to: appPage }), 202)).sort(), ['expires_in', 'status']);
    const mail = await mailTo(email, since);
    return { token: tokenOf(mail.link!), mail };
  }

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      headless: { restApi: true, redirectUris: [appPage] },
      signIn: { signUp: false, methods: { magicLink: true } },
    })]);
  });

  it('emails a link to the registered URI; the page that opened it gets tokens for the address, once', async () => {
    const user = await createUser(server, slug);
    const { token, mail } = await linkFor(user.email);
    // the email says what the link does: it signs in where it is opened
    assert.match(mail.text, /signs you in on the device and in the browser where you open it/);
    const tokens = await ok<Tokens>(await call('auth/magic-link/verify', { token }));
    assert.equal(decodeJwt(tokens.access_token).sub, user.id);
    assert.deepEqual(tokens.user, { id: user.id, email: user.email, phone: null, created: false });
    const who = await ok<{ amr: string[] }>(await fetch(`${issuer}/v1/whoami`, { headers: { authorization: `Bearer ${tokens.access_token}` } }));
    assert.deepEqual(who.amr, ['otp']);
    // the refresh token is the standard one: it rotates at the token endpoint's REST door
    await ok<Tokens>(await call('auth/refresh', { refresh_token: tokens.refresh_token }));
    // single use
    await expectError(await call('auth/magic-link/verify', { token }), 400, 'magiclink.invalid');
  });

  it('a link opened elsewhere never completes the asker\'s sign-in: the asker holds no handle, and the click ends its sign-in', async () => {
    const victim = await createUser(server, slug);
    // the attacker asks for a link to the victim's address: the answer names no challenge, transaction or user
    const asked = await ok<Record<string, unknown>>(await call('auth/magic-link', { email: victim.email, redirect_to: appPage }), 202);
    assert.deepEqual(Object.keys(asked).sort(), ['expires_in', 'status']);
    const mail = await mailTo(victim.email);
    // the victim opens the link: their own browser is signed in, as themselves
    const opened = await ok<Tokens>(await call('auth/magic-link/verify', { token: tokenOf(mail.link!) }));
    assert.equal(decodeJwt(opened.access_token).sub, victim.id);
    // the asker's side of that sign-in is over: even the email's code no longer completes it
    await expectError(await call('auth/otp/verify', { email: victim.email, code: mail.code }), 400, 'otp.expired');
  });

  it('the code in the same email, typed where the link was asked for, signs in instead; the link then is spent', async () => {
    const user = await createUser(server, slug);
    const { token, mail } = await linkFor(user.email);
    const tokens = await ok<Tokens>(await call('auth/otp/verify', { email: user.email, code: mail.code }));
    assert.equal(decodeJwt(tokens.access_token).sub, user.id);
    await expectError(await call('auth/magic-link/verify', { token }), 400, 'magiclink.invalid');
  });

  it('answers an unknown address exactly as a known one and sends it nothing; sign-up, where open, makes the account', async () => {
    const known = await createUser(server, slug);
    const unknown = uniqueEmail('nobody');
    const a = await call('auth/magic-link', { email: known.email, redirect_to: appPage });
    const b = await call('auth/magic-link', { email: unknown, redirect_to: appPage });
    assert.equal(a.status, b.status);
    assert.deepEqual(await a.json(), await b.json());
    await mailTo(known.email);
    assert.equal((await outbox(issuer)).filter((e) => e.to === unknown).length, 0);

    const open = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', open.slug, '--set', JSON.stringify({ headless: { restApi: true, redirectUris: [appPage] }, signIn: { signUp: true, methods: { magicLink: true } } })]);
    const email = uniqueEmail('new');
    await ok(await call('auth/magic-link', { email, redirect_to: appPage }, {}, open.issuer), 202);
    const created = await ok<Tokens>(await call('auth/magic-link/verify', { token: tokenOf((await mailTo(email, 0, open.issuer)).link!) }, {}, open.issuer));
    assert.equal(created.user?.created, true);
    assert.equal(created.user?.email, email);
  });

  it('a second factor due: the link answers the challenge envelope instead of tokens', async () => {
    const user = await createUser(server, slug);
    const browser = new Browser();
    await signInToAccount(server, slug, browser, user);
    await enrolTotp(server, slug, browser);
    const { token } = await linkFor(user.email);
    const envelope = await ok<Envelope>(await call('auth/magic-link/verify', { token }));
    assert.equal(envelope.status, 'challenge_required');
    assert.equal(envelope.challenge.kind, 'mfa');
    assert.ok(envelope.challenge.methods.includes('totp'));
  });

  it('a link works only for the app that asked, and only at the REST API; a named app registers its own redirect URIs', async () => {
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Portal', '--slug', `portal-${Date.now().toString(36)}`]);
    const portal = 'https://portal.example.com/callback?from=email';
    const creds = { client_id: app.app_id, client_secret: app.app_secret };
    const user = await createUser(server, slug);
    // the tenant's built-in list is the built-in client's, not this app's
    await expectError(await call('auth/magic-link', { ...creds, email: user.email, redirect_to: appPage }), 400, 'rest.redirect_not_allowed');
    await cliJson(server, ['client', 'update', '--tenant', slug, '--id', app.app_id, '--redirect-uri', portal]);
    await ok(await call('auth/magic-link', { ...creds, email: user.email, redirect_to: portal }), 202);
    const link = new URL((await mailTo(user.email)).link!);
    // the app's own query stays; the token is added to it
    assert.equal(link.searchParams.get('from'), 'email');
    const token = link.searchParams.get('token')!;
    // the built-in client (another app) and the hosted page's link route cannot use it, and do not spend it
    await expectError(await call('auth/magic-link/verify', { token }), 400, 'magiclink.invalid');
    const hosted = await fetch(`${issuer}/interaction/${'x'.repeat(21)}/magic/${token}`, { redirect: 'manual' });
    assert.ok(hosted.status >= 400 && hosted.status < 500, `hosted route: ${hosted.status}`);
    const tokens = await ok<Tokens>(await call('auth/magic-link/verify', { ...creds, token }));
    assert.equal(decodeJwt(tokens.access_token).sub, user.id);
    assert.equal(decodeJwt(tokens.access_token).client_id, app.app_id);
  });

  it('a retry with the same Idempotency-Key answers the same and sends no second email', async () => {
    const user = await createUser(server, slug);
    const key = { 'idempotency-key': `ml-${Date.now()}` };
    const first = await call('auth/magic-link', { email: user.email, redirect_to: appPage }, key);
    const again = await call('auth/magic-link', { email: user.email, redirect_to: appPage }, key);
    assert.equal(first.status, 202);
    assert.equal(await again.text(), await first.text());
    await mailTo(user.email);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await outbox(issuer)).filter((e) => e.to === user.email).length, 1);
  });

  it('a link to an account disabled since it was sent signs nobody in', async () => {
    const user = await createUser(server, slug);
    const { token } = await linkFor(user.email);
    await cliJson(server, ['user', 'disable', '--tenant', slug, '--id', user.id]);
    await expectError(await call('auth/magic-link/verify', { token }), 400, 'magiclink.invalid');
  });

  it('expires after the tenant\'s magic-link TTL', async () => {
    const user = await createUser(server, slug);
    const { token } = await linkFor(user.email);
    await letTimePass(server, 601_000);
    await expectError(await call('auth/magic-link/verify', { token }), 400, 'magiclink.invalid');
  });

  it('refuses what it must: unregistered or near-miss redirect URIs, bad input, a tenant without links, too many sends', async () => {
    const user = await createUser(server, slug);
    for (const redirect of [`${appPage}/`, 'https://app.example.com/auth', `${appPage}?x=1`, 'https://evil.example/auth/confirm', 'APP']) {
      await expectError(await call('auth/magic-link', { email: user.email, redirect_to: redirect }), 400, 'rest.redirect_not_allowed');
    }
    await expectError(await call('auth/magic-link', { email: 'not-an-address', redirect_to: appPage }), 400, 'user.invalid_email');
    await expectError(await call('auth/magic-link', { email: user.email }), 400, 'request.invalid');
    await expectError(await call('auth/magic-link', { email: [user.email], redirect_to: appPage }), 400, 'request.invalid');
    await expectError(await call('auth/magic-link/verify', {}), 400, 'request.invalid');
    await expectError(await call('auth/magic-link/verify', { token: 'x'.repeat(43), type: 'signup' }), 400, 'request.invalid');
    await expectError(await call('auth/magic-link/verify', { token: 'x'.repeat(43) }), 400, 'magiclink.invalid');
    // Supabase's name for the token is accepted too
    await expectError(await call('auth/magic-link/verify', { token_hash: 'x'.repeat(43), type: 'magiclink' }), 400, 'magiclink.invalid');

    const off = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', off.slug, '--set', JSON.stringify({ headless: { restApi: true, redirectUris: [appPage] } })]);
    await expectError(await call('auth/magic-link', { email: user.email, redirect_to: appPage }, {}, off.issuer), 403, 'magiclink.disabled');
    const refused = await server.cli(['tenant', 'settings', '--tenant', off.slug, '--set', JSON.stringify({ headless: { redirectUris: ['https://app.example.com/cb#frag'] } })]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /headless\.redirectUris/);

    // the hosted page's send limits: 5 per address an hour by default
    const limited = await createUser(server, slug);
    for (let i = 0; i < 5; i++) await ok(await call('auth/magic-link', { email: limited.email, redirect_to: appPage }), 202);
    const sixth = await call('auth/magic-link', { email: limited.email, redirect_to: appPage });
    await expectError(sixth, 429, 'auth.rate_limited');
    assert.ok(Number(sixth.headers.get('retry-after')) > 0);
  });

  it('the SDK: signInWithOtp with options.emailRedirectTo sends the link; verifyOtp with its token_hash signs this client in', async () => {
    const user = await createUser(server, slug);
    const client = createClient({ issuer, clientId: 'tessera-rest', storage: memoryStorage() });
    try {
      const sent = await client.auth.signInWithOtp({ email: user.email, options: { emailRedirectTo: appPage } });
      assert.equal(sent.status, 'link_sent');
      const token = tokenOf((await mailTo(user.email)).link!);
      const result = await client.auth.verifyOtp({ token_hash: token, type: 'magiclink' });
      assert.equal(result.status, 'signed_in');
      assert.equal((await client.auth.getUser()).id, user.id);
      const again = await client.auth.verifyOtp({ token_hash: token, type: 'magiclink' }).catch((error: unknown) => error);
      assert.ok(again instanceof TesseraError);
      assert.equal(again.code, 'magiclink.invalid');
      const elsewhere = await client.auth.signInWithOtp({ email: user.email, options: { emailRedirectTo: 'https://evil.example/' } }).catch((error: unknown) => error);
      assert.equal((elsewhere as TesseraError).code, 'rest.redirect_not_allowed');
    } finally {
      client.dispose();
    }
  });

  it('OpenAPI documents the sign-in link and social sign-in endpoints with the codes they answer', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { description?: string; parameters?: Array<{ name: string }> }>>; components: { schemas: { Error: { properties: { error: { enum: string[] } } } } } };
    const known = new Set(document.components.schemas.Error.properties.error.enum);
    const expected: Record<string, [string, string[]]> = {
      '/v1/auth/magic-link': ['post', ['magiclink.disabled', 'rest.redirect_not_allowed', 'user.invalid_email', 'auth.rate_limited']],
      '/v1/auth/magic-link/verify': ['post', ['magiclink.invalid']],
      '/v1/auth/authorize': ['get', ['rest.redirect_not_allowed', 'federated.unknown_provider', 'federated.upstream_failed']],
      '/v1/auth/federated/verify': ['post', ['federated.invalid', 'federated.link_required', 'federated.not_allowed', 'signup.disabled']],
    };
    for (const [path, [verb, answers]] of Object.entries(expected)) {
      const op = document.paths[path]?.[verb];
      assert.ok(op, `${verb} ${path}`);
      const codes = /Error codes: (.+?)\. [A-Z]/.exec(op.description ?? '')?.[1]?.split(', ') ?? [];
      for (const code of [...answers, ...codes]) assert.ok(known.has(code) && codes.includes(code), `${path} names ${code}, which the catalogue has`);
    }
    assert.ok(document.paths['/v1/auth/magic-link']!.post!.parameters?.some((p) => p.name === 'Idempotency-Key'));
  });
});
