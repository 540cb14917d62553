// Sign in with Apple and with any OpenID Connect issuer (issue #4), each against a real oidc-provider: Apple's
// form_post answer (a cross-site POST, taken back by GET), its ES256 client-secret JWT (checked by the stand-in
// against the tenant's key), the name that comes only in the first answer's `user` field and its string-typed
// email_verified; a generic issuer whose id_token holds only `sub`, the profile fetched from userinfo.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { asPage, atCallback, isLoginPage } from '../support/hosted-pages.js';
import { appleKey, createFederatedTenant, federatedSignIn, identitiesOf, noticePage, signedIn } from '../support/federation-flows.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';
import { useTessera } from '../support/use-tessera.js';

const unique = () => randomBytes(4).toString('hex');

describe('Sign in with Apple and with a generic OpenID Connect issuer', () => {
  const server = useTessera();
  let apple: OidcUpstream;
  let generic: OidcUpstream;
  before(async () => {
    [apple, generic] = await Promise.all([startOidcUpstream('apple'), startOidcUpstream('generic')]);
  });
  after(async () => {
    await apple?.close();
    await generic?.close();
  });
  afterEach(() => {
    assert.deepEqual(apple.rejections.splice(0), [], 'the Apple stand-in refused a request');
    assert.deepEqual(generic.rejections.splice(0), [], 'the generic issuer refused a request');
  });

  const teamId = 'TEAM123456';
  const keyId = 'KEY1234567';

  it('Apple: form_post, a client secret signed with the tenant’s key, the name from the first answer only', async () => {
    const key = appleKey();
    const tenant = await createFederatedTenant(server, (callbackUrl) => {
      const app = apple.registerClient({ redirectUris: [callbackUrl], apple: { teamId, keyId, publicKey: key.publicKey } });
      return { apple: { type: 'apple', clientId: app.clientId, teamId, keyId, privateKey: key.privateKeyPem, issuer: apple.issuer } };
    });
    const sub = `001234.${unique()}`;
    const email = `${unique()}@privaterelay.appleid.test`;
    apple.signInAs({ sub, email, email_verified: 'true', is_private_email: 'true', given_name: 'Ada', family_name: 'Lovelace' });
    const first = await federatedSignIn(tenant, 'apple');
    const { claims, userinfo } = await signedIn(tenant, first.request, first.step);
    assert.deepEqual(claims.amr, ['fed']);
    assert.deepEqual([userinfo.email, userinfo.email_verified, userinfo.name], [email, true, 'Ada Lovelace']);

    const asked = apple.authorizations.at(-1)!;
    assert.deepEqual([asked.response_mode, asked.scope, asked.code_challenge_method], ['form_post', 'openid name email', 'S256']);
    const exchange = apple.tokenRequests.at(-1)!;
    const [header, payload] = exchange.params.client_secret!.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    assert.deepEqual([header.alg, header.kid, payload.iss, payload.sub, payload.aud], ['ES256', keyId, teamId, exchange.params.client_id, 'https://appleid.apple.com']);
    assert.ok(payload.exp - payload.iat <= 600, 'a short-lived secret');

    // later answers carry no `user` field: the account keeps its name, the same Apple id opens it
    apple.signInAs({ sub, email, given_name: 'Ada', family_name: 'Lovelace' });
    const again = await federatedSignIn(tenant, 'apple');
    const second = await signedIn(tenant, again.request, again.step);
    assert.equal(second.claims.sub, claims.sub);
    assert.equal(second.userinfo.name, 'Ada Lovelace');
  });

  it('Apple: a client secret signed with another key is refused by Apple, and the user gets the friendly page', async () => {
    const registered = appleKey();
    const tenant = await createFederatedTenant(server, (callbackUrl) => {
      const app = apple.registerClient({ redirectUris: [callbackUrl], apple: { teamId, keyId, publicKey: registered.publicKey } });
      return { apple: { type: 'apple', clientId: app.clientId, teamId, keyId, privateKey: appleKey().privateKeyPem, issuer: apple.issuer } };
    });
    apple.signInAs({ sub: `001234.${unique()}`, email: `${unique()}@icloud.test` });
    noticePage((await federatedSignIn(tenant, 'apple')).step, 400);
    const refused = apple.rejections.splice(0);
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.match(refused[0]!.reason, /signature/i);
  });

  it('a generic issuer: discovery, a client secret by HTTP Basic, the profile from userinfo, an unverified email kept unverified', async () => {
    const tenant = await createFederatedTenant(server, (callbackUrl) => {
      const app = generic.registerClient({ redirectUris: [callbackUrl] });
      return { okta: { type: 'oidc', displayName: 'Acme Okta', clientId: app.clientId, clientSecret: app.clientSecret, issuer: generic.issuer, trustedForLinking: true } };
    });
    const email = `grace-${unique()}@acme.test`;
    const sub = `okta-${unique()}`;
    generic.signInAs({ sub, email, email_verified: false, name: 'Grace Hopper' });
    const { request, step } = await federatedSignIn(tenant, 'okta');
    const { claims, userinfo } = await signedIn(tenant, request, step);
    assert.deepEqual(claims.amr, ['fed']);
    assert.deepEqual([userinfo.email, userinfo.email_verified, userinfo.name], [email, false, 'Grace Hopper']);
    const exchange = generic.tokenRequests.at(-1)!;
    assert.match(exchange.authorization ?? '', /^Basic /, 'client_secret_basic by default');
    assert.equal(exchange.params.client_secret, undefined);
    assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => [i.subject, i.email_verified]), [[sub, false]]);
  });

  it('another Tessera tenant as the upstream: its own login page, then back, its user id as the subject', async () => {
    const upstream = await createTenant(server);
    const person = await createUser(server, upstream.slug);
    const tenant = await createFederatedTenant(server, (callbackUrl) => ({ corp: { type: 'oidc', displayName: 'Corp ID', clientId: 'pending', issuer: upstream.issuer, clientSecret: 'pending' } }));
    // the upstream's client is registered for this tenant's callback, then the connection gets its credentials
    const app = await createClient(server, upstream.slug, ['--first-party', '--redirect-uri', tenant.callbackUrl]);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ connections: { corp: { clientId: app.client_id, clientSecret: app.client_secret } } })]);
    const { browser, request, step } = await federatedSignIn(tenant, 'corp');
    const upstreamLogin = asPage(step, 'the upstream tenant’s login page');
    assert.ok(isLoginPage(upstreamLogin));
    assert.ok(upstreamLogin.url.pathname.startsWith(`/t/${upstream.slug}/interaction/`));
    const back = await browser.submit(upstreamLogin, '/login', { email: person.email, password: person.password }, atCallback);
    const { claims, userinfo } = await signedIn(tenant, request, back);
    assert.deepEqual(claims.amr, ['fed']);
    assert.equal(userinfo.email, person.email);
    assert.equal(userinfo.email_verified, true);
    assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => [i.connection, i.subject]), [['corp', person.id]]);
  });
});
