// The language of the codes the JSON APIs send (issue #14), chosen as a hosted page's: the call's `locale` (or
// `ui_locales`), then its Accept-Language, then the tenant's default language — only languages Tessera ships. Over
// HTTP as an app's backend calls the backend OTP API (/auth/send-otp) and the REST API ({issuer}/v1/…), the messages
// read from the tenant's sandbox outbox. The tenant's default is Portuguese, so a fallback cannot pass as English.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { outbox, uniqueEmail } from '../support/email-flows.js';
import { randomMobile } from '../support/phone-flows.js';
import { restApi, type RestTokens } from '../support/rest-api.js';
import { useTessera } from '../support/use-tessera.js';

interface App { app_id: string; app_secret: string }
type OutboxEntry = Awaited<ReturnType<typeof outbox>>[number];

describe('the language of codes sent through the JSON APIs', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;
  let app: App;
  let api: ReturnType<typeof restApi>;

  const otpApi = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, ...body }) });
  const rest = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${issuer}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  /** the newest message to `to` once `count` have gone out */
  async function messageTo(to: string, count = 1): Promise<OutboxEntry> {
    for (let i = 0; i < 100; i++) {
      const found = (await outbox(issuer)).filter((e) => e.to === to);
      if (found.length >= count) return found[0]!;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no message number ${count} to ${to}`);
  }

  async function sent(response: Response, status: number) {
    const text = await response.text();
    assert.equal(response.status, status, text);
  }

  before(async () => {
    const tenant = await createTenant(server);
    ({ slug, issuer } = tenant);
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({
      headless: { restApi: true }, texts: { defaultLocale: 'pt' },
      signIn: { signUp: true, methods: { emailOtp: true, smsOtp: true } },
    })]);
    app = await cliJson<App>(server, ['app', 'create', '--tenant', slug, '--name', 'Lingua', '--slug', 'lingua-app']);
    api = restApi(issuer);
  });

  it('OTP API: an email code in Spanish for locale "es", even when Accept-Language asks for German', async () => {
    const email = uniqueEmail('es');
    await sent(await otpApi('send-otp', { email, locale: 'es' }, { 'accept-language': 'de' }), 200);
    const mail = await messageTo(email);
    assert.match(mail.subject ?? '', /^Tu código de inicio de sesión de /);
    assert.match(mail.text, /código/);
    assert.ok(mail.code && mail.text.includes(mail.code));
  });

  it('REST sign-up: the code in German from Accept-Language (by q-value, region ignored)', async () => {
    const email = uniqueEmail('de');
    await sent(await rest('auth/signup', { email }, { 'accept-language': 'ja;q=1, de-AT;q=0.8, en;q=0.5' }), 202);
    const mail = await messageTo(email);
    assert.match(mail.subject ?? '', /^Bestätigen Sie Ihre E-Mail-Adresse für /);
  });

  it('REST SMS codes in French: passwordless sign-in (ui_locales), second-factor setup and step-up (locale)', async () => {
    const phone = randomMobile('GB');
    await sent(await rest('auth/otp', { phone, ui_locales: 'fr-CA en' }), 202);
    const signIn = await messageTo(phone);
    assert.equal(signIn.channel, 'sms');
    assert.match(signIn.text, new RegExp(`^${signIn.code} est votre code de connexion `));

    const user = await createUser(server, slug);
    const token = (await api.json<RestTokens>(api.login(user))).access_token;
    const second = randomMobile('GB');
    const setup = await api.json<{ factor_id: string }>(api.call('POST', 'auth/2fa/sms/setup', token, { phone: second, locale: 'fr' }), 202);
    const enrol = await messageTo(second);
    assert.match(enrol.text, new RegExp(`^${enrol.code} est votre code de sécurité `));
    await api.json(api.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: enrol.code }));

    await api.json(fetch(`${issuer}/v1/auth/2fa/challenge?method=sms&locale=fr`, { headers: { authorization: `Bearer ${token}` } }));
    const stepUp = await messageTo(second, 2);
    assert.match(stepUp.text, new RegExp(`^${stepUp.code} est votre code de sécurité `));
  });

  it('a language Tessera does not ship falls back to Accept-Language, then to the tenant default; a non-string is refused', async () => {
    const viaHeader = uniqueEmail('xx');
    await sent(await otpApi('send-otp', { email: viaHeader, locale: 'xx' }, { 'accept-language': 'fr' }), 200);
    assert.match((await messageTo(viaHeader)).subject ?? '', /^Votre code de connexion /);

    const email = uniqueEmail('tlh');
    await sent(await otpApi('send-otp', { email, locale: 'tlh' }, { 'accept-language': 'ja, *' }), 200);
    assert.match((await messageTo(email)).subject ?? '', /^Seu código de acesso /, 'the tenant default, Portuguese');

    const phone = randomMobile('IN');
    await sent(await rest('auth/otp', { phone, ui_locales: 'zz-ZZ' }), 202);
    assert.match((await messageTo(phone)).text, /é seu c[oó]digo de acesso /, 'the tenant default, Portuguese (GSM-7 spelling in an SMS)');

    const refused = await otpApi('send-otp', { email: uniqueEmail('bad'), locale: ['es'] });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'request.invalid');
    await api.expectError(rest('auth/signup', { email: uniqueEmail('bad'), ui_locales: 7 }), 400, 'request.invalid');
  });

  it('the OpenAPI document names locale, ui_locales and Accept-Language on every operation that sends a message', async () => {
    type Operation = { parameters?: Array<{ name: string; in: string }>; requestBody?: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } } };
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const posts = ['/auth/send-otp', '/auth/challenge/{id}/send', '/v1/auth/signup', '/v1/auth/otp', '/v1/auth/recovery/initiate', '/v1/auth/recovery/verify', '/v1/auth/2fa/sms/setup', '/v1/auth/challenge/{id}/send'];
    for (const path of posts) {
      const op = document.paths[path]?.post;
      assert.ok(op, path);
      assert.ok(op.requestBody?.content['application/json'].schema.properties.locale, `${path}: locale`);
      assert.ok(op.requestBody?.content['application/json'].schema.properties.ui_locales, `${path}: ui_locales`);
      assert.ok(op.parameters?.some((p) => p.name === 'Accept-Language' && p.in === 'header'), `${path}: Accept-Language`);
    }
    const stepUp = document.paths['/v1/auth/2fa/challenge']!.get!;
    assert.deepEqual(stepUp.parameters?.filter((p) => p.in === 'query').map((p) => p.name), ['method', 'locale', 'ui_locales']);
    assert.equal(document.paths['/v1/auth/otp/verify']!.post!.requestBody?.content['application/json'].schema.properties.locale, undefined, 'only calls that send');
  });
});
