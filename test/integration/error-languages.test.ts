// The `message` of `{error, message}` on Tessera's own JSON endpoints in the caller's language (issue #14), chosen as
// for the messages a call sends: `locale`, then `ui_locales` (body or query), then Accept-Language, then the tenant's
// default (English where no tenant is known). The `error` code never changes; English stays the catalogue's text;
// a message written for one case goes along in English as `detail`. Over HTTP: the REST API, the backend OTP API,
// the license API and the Management API.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { restApi } from '../support/rest-api.js';
import { useTessera } from '../support/use-tessera.js';
import { errorCatalogue } from '../../src/errors/error-catalogue.js';
import { catalogues, textAt } from '../../src/i18n/i18n.js';

interface App { app_id: string; app_secret: string }
const text = (locale: keyof typeof catalogues, code: keyof typeof errorCatalogue) => textAt(catalogues[locale], `apiErrors.${code.replace('.', '_')}`)!;

describe('error messages of the JSON APIs in the caller\'s language', () => {
  const server = useTessera();
  let english: { slug: string; issuer: string };
  let portuguese: { slug: string; issuer: string };
  let app: App;
  let user: { email: string; password: string };

  const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() as { error: string; message: string; detail?: string }, language: response.headers.get('content-language') };
  };
  const wrongLogin = (issuer: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    post(`${issuer}/v1/auth/login`, { email: user.email, password: 'not-the-password', ...extra }, headers);

  before(async () => {
    english = await createTenant(server);
    portuguese = await createTenant(server);
    for (const t of [english, portuguese]) {
      await cliJson(server, ['tenant', 'settings', '--tenant', t.slug, '--set', JSON.stringify({ headless: { restApi: true }, ...(t === portuguese ? { texts: { defaultLocale: 'pt' } } : {}) })]);
    }
    app = await cliJson<App>(server, ['app', 'create', '--tenant', english.slug, '--name', 'Errors', '--slug', 'errors-app']);
    user = await createUser(server, english.slug);
    await createUser(server, portuguese.slug, user);
    assert.notEqual(text('de', 'login.invalid_credentials'), errorCatalogue['login.invalid_credentials'].message);
  });

  it('REST: English by default, exactly the catalogue\'s text; German for locale "de"; French from Accept-Language', async () => {
    const plain = await wrongLogin(english.issuer);
    assert.equal(plain.status, 401);
    assert.deepEqual(plain.body, { error: 'login.invalid_credentials', message: errorCatalogue['login.invalid_credentials'].message });
    assert.equal(plain.language, 'en');

    const german = await wrongLogin(english.issuer, { locale: 'de' }, { 'accept-language': 'fr' });
    assert.equal(german.status, 401);
    assert.deepEqual(german.body, { error: 'login.invalid_credentials', message: 'E-Mail-Adresse oder Passwort ist nicht richtig.' });
    assert.equal(german.language, 'de');

    const french = await wrongLogin(english.issuer, {}, { 'accept-language': 'ja, fr-CA;q=0.9' });
    assert.deepEqual(french.body, { error: 'login.invalid_credentials', message: text('fr', 'login.invalid_credentials') });
  });

  it('REST: the tenant\'s default language when the call names none; English when it asks for English', async () => {
    const fallback = await wrongLogin(portuguese.issuer);
    assert.deepEqual(fallback.body, { error: 'login.invalid_credentials', message: 'O e-mail ou a senha não está certo.' });
    const asked = await wrongLogin(portuguese.issuer, { ui_locales: 'xx en-GB' });
    assert.equal(asked.body.message, errorCatalogue['login.invalid_credentials'].message);
  });

  it('REST: a message written for one case reads as the code\'s message in Hindi, the English one kept as detail', async () => {
    const answer = await post(`${english.issuer}/v1/auth/login`, { email: 42, locale: 'hi' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'request.invalid');
    assert.equal(answer.body.message, 'यह अनुरोध मान्य नहीं है।');
    assert.equal(answer.body.detail, 'Send "email" and "password" as strings.');
    const inEnglish = await post(`${english.issuer}/v1/auth/login`, { email: 42 });
    assert.deepEqual(inEnglish.body, { error: 'request.invalid', message: 'Send "email" and "password" as strings.' });
  });

  it('backend OTP API: a wrong app secret and a stale sign-in, in Spanish', async () => {
    const refused = await post(`${server.url}/auth/send-otp`, { app_id: app.app_id, app_secret: 'wrong', email: user.email, locale: 'es' });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, { error: 'app.invalid_credentials', message: text('es', 'app.invalid_credentials') });
    const stale = await post(`${server.url}/auth/verify-otp`, { app_id: app.app_id, app_secret: app.app_secret, login_id: '00000000-0000-4000-8000-000000000000', code: '123456' }, { 'accept-language': 'es-MX' });
    assert.equal(stale.body.message, text('es', stale.body.error as keyof typeof errorCatalogue));
    assert.notEqual(stale.body.message, errorCatalogue[stale.body.error as keyof typeof errorCatalogue].message);
  });

  it('license API: a malformed key in French (ui_locales in the body)', async () => {
    const answer = await post(`${server.url}/licenses/activate`, { app_id: app.app_id, app_secret: app.app_secret, key: 'ABCDE', device_fingerprint: 'f'.repeat(64), ui_locales: 'fr' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'license.invalid_key');
    assert.equal(answer.body.message, text('fr', 'license.invalid_key'));
  });

  it('Management API: a missing token in Portuguese (query parameter), the code unchanged', async () => {
    const response = await fetch(`${server.url}/api/tenants?locale=pt-BR`);
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), {
      error: 'auth.invalid_token', message: 'O token de acesso está ausente, expirou ou não vale aqui.', detail: 'An access token is required: Authorization: Bearer <token>.',
    });
  });
});
