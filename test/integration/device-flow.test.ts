// Device authorization grant (RFC 8628) as a TV app using openid-client meets it: the device shows a code, the
// person enters it on the tenant's branded page, signs in there, and the device's polling gets the tokens.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { Browser, isPage, type Page } from '../support/browser.js';

const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

describe('device authorization grant', () => {
  const server = useTessera();

  async function deviceTenant() {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ grants: { deviceFlow: true } })]);
    const client = await cliJson<{ client_id: string }>(server, ['client', 'create', '--tenant', tenant.slug, '--name', 'Living-room TV', '--grant', deviceGrant, '--public']);
    return { tenant, config: await discover(tenant.issuer, client.client_id) };
  }

  const page = (step: Page | URL, what: string): Page => {
    assert.ok(isPage(step), `${what}: expected a page, got a redirect to ${String(step)}`);
    return step;
  };

  it('is off by default', async () => {
    const tenant = await createTenant(server);
    const metadata = (await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(metadata.device_authorization_endpoint, undefined);
    const refused = await server.cli(['client', 'create', '--tenant', tenant.slug, '--name', 'TV', '--grant', deviceGrant, '--public']);
    assert.notEqual(refused.code, 0, 'a device client cannot be made while the grant is off');
  });

  it('signs a device in through the branded verification page and the tenant\'s login', async () => {
    const { tenant, config } = await deviceTenant();
    const user = await createUser(server, tenant.slug);
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email' });
    assert.equal(started.verification_uri, `${tenant.issuer}/device`);
    assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/, 'base-20 user code, 8 characters');

    const browser = new Browser();
    const input = page(await browser.navigate(started.verification_uri), 'verification page');
    assert.equal(input.status, 200);
    assert.match(input.html, /Connect a device/);
    assert.match(input.html, /branding\.css/, 'the tenant\'s branding');
    const confirm = page(await browser.submit(input, '/device', { user_code: started.user_code.toLowerCase() }), 'confirmation');
    assert.match(confirm.html, /Living-room TV/);
    assert.ok(confirm.html.includes(started.user_code), 'the code is shown again to compare with the device');
    let step = await browser.submit(confirm, '/device', {});
    for (let i = 0; i < 4 && isPage(step) && !step.html.includes('Device connected'); i++) {
      const current: Page = step;
      if (current.html.includes('/login"')) step = await browser.submit(current, '/login', { email: user.email, password: user.password });
      else if (current.html.includes('/confirm"')) step = await browser.submit(current, '/confirm', {});
      else assert.fail(`unexpected page ${current.status} at ${current.url.pathname}`);
    }
    assert.match(page(step, 'success').html, /Device connected/);

    const tokens = await oidc.pollDeviceAuthorizationGrant(config, started);
    assert.equal(tokens.claims()?.email, user.email);
    assert.equal(typeof tokens.access_token, 'string');
  });

  it('sends a submission without a session (cross-site, or expired) back to a fresh form, not a 500', async () => {
    const { tenant } = await deviceTenant();
    const browser = new Browser();
    const response = await browser.fetch(`${tenant.issuer}/device`, {
      method: 'POST', body: new URLSearchParams({ user_code: 'BCDF-GHJK' }), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(response.status, 303, `status ${response.status}`);
    assert.equal(response.headers.get('location'), `${tenant.issuer}/device`);
    await response.body?.cancel();
  });

  it('refuses a submission whose CSRF token does not match the session, on the page', async () => {
    const { tenant } = await deviceTenant();
    const browser = new Browser();
    const input = page(await browser.navigate(`${tenant.issuer}/device`), 'verification page');
    const answer = page(await browser.submit(input, '/device', { user_code: 'BCDF-GHJK', xsrf: 'forged' }), 'answer');
    assert.equal(answer.status, 400);
    assert.match(answer.html, /could not be checked/);
  });

  it('says a wrong code is wrong, and stops an address guessing codes after 10 tries', async () => {
    const { tenant } = await deviceTenant();
    const browser = new Browser();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const input = page(await browser.navigate(`${tenant.issuer}/device`), 'verification page');
      const answer = page(await browser.submit(input, '/device', { user_code: 'BCDF-GHJK' }), 'answer');
      statuses.push(answer.status);
      if (i === 0) assert.match(answer.html, /not valid or has expired/);
      if (answer.status === 429) {
        assert.match(answer.html, /Too many attempts/);
        assert.ok(Number(answer.headers.get('retry-after')) > 0);
      }
    }
    assert.deepEqual(statuses, [...Array(10).fill(400), 429]);
  });
});
