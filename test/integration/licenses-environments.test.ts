// Licenses per environment (issues #19 and #20): an environment is a tenant of its own, so its products, keys and
// license tokens are its own. A key issued in the sandbox is unknown to the live app and a live key to the sandbox
// app, a license token signed in one environment is refused by the other, and each environment's Management API
// lists only its own licenses.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant } from '../support/fixtures.js';
import { useTessera } from '../support/use-tessera.js';

interface App { app_id: string; app_secret: string }

describe('licenses per environment', () => {
  const server = useTessera();
  let slug: string;
  const apps: Record<string, App> = {};
  const keys: Record<string, { key: string; license_id: string }> = {};

  const call = async (path: string, app: App, body: Record<string, unknown>) => {
    const response = await fetch(`${server.url}/licenses/${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, ...body }),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text || 'null') as any, text };
  };
  const inEnv = (env: string, argv: string[]) => cliJson<any>(server, [...argv, '--tenant', slug, '--env', env]);

  before(async () => {
    ({ slug } = await createTenant(server));
    await cliJson(server, ['env', 'create', '--tenant', slug, '--name', 'sandbox']);
    for (const env of ['live', 'sandbox']) {
      apps[env] = await inEnv(env, ['app', 'create', '--name', `${env} backend`, '--slug', `${env}-backend`]);
      const { product_id: productId } = await inEnv(env, ['license', 'product', 'create', '--name', `Desktop ${env}`, '--max-devices', '3']);
      keys[env] = await inEnv(env, ['license', 'issue', '--product', productId]);
    }
  });

  it('a sandbox key activates only with a sandbox app, a live key only with a live app: elsewhere it is license.not_found', async () => {
    for (const [keyEnv, appEnv] of [['sandbox', 'live'], ['live', 'sandbox']] as const) {
      const refused = await call('activate', apps[appEnv]!, { key: keys[keyEnv]!.key, device_fingerprint: `${keyEnv}-key-on-${appEnv}` });
      assert.equal(refused.status, 404, refused.text);
      assert.equal(refused.body.error, 'license.not_found');
      const validated = await call('validate', apps[appEnv]!, { key: keys[keyEnv]!.key, device_fingerprint: `${keyEnv}-key-on-${appEnv}` });
      assert.equal(validated.body.error, 'license.not_found', validated.text);
    }
    for (const env of ['live', 'sandbox']) {
      const activated = await call('activate', apps[env]!, { key: keys[env]!.key, device_fingerprint: `${env}-device` });
      assert.equal(activated.status, 200, activated.text);
      assert.equal(activated.body.activation.license_id, keys[env]!.license_id);
    }
    // the refused attempts took no seat in the key's own environment
    for (const env of ['live', 'sandbox']) {
      const license = await inEnv(env, ['license', 'get', '--id', keys[env]!.license_id]);
      assert.equal(license.activations.length, 1);
      assert.equal(license.seats_used, 1);
    }
  });

  it('a license token signed in one environment is refused by the other (another issuer, other keys)', async () => {
    for (const [tokenEnv, appEnv] of [['sandbox', 'live'], ['live', 'sandbox']] as const) {
      const fingerprint = `token-${tokenEnv}`;
      const activated = await call('activate', apps[tokenEnv]!, { key: keys[tokenEnv]!.key, device_fingerprint: fingerprint });
      assert.equal(activated.status, 200, activated.text);
      const elsewhere = await call('validate', apps[appEnv]!, { license_token: activated.body.license_token, device_fingerprint: fingerprint });
      assert.equal(elsewhere.status, 401, elsewhere.text);
      assert.equal(elsewhere.body.error, 'license.invalid_token');
      const home = await call('validate', apps[tokenEnv]!, { license_token: activated.body.license_token, device_fingerprint: fingerprint });
      assert.equal(home.status, 200, home.text);
    }
  });

  it('each environment\'s Management API knows only its own licenses', async () => {
    for (const [env, other] of [['live', 'sandbox'], ['sandbox', 'live']] as const) {
      const listed = await inEnv(env, ['license', 'list']);
      assert.deepEqual(listed.items.map((l: { id: string }) => l.id), [keys[env]!.license_id]);
      const foreign = await server.cli(['license', 'get', '--tenant', slug, '--env', env, '--id', keys[other]!.license_id]);
      assert.equal(foreign.code, 1, foreign.stdout);
      assert.match(foreign.stderr, /No such license in this tenant/);
    }
  });
});
