// Issue #18 §1: the app SDK's core stays at most 15 kB min+gzip; MFA and passkeys are separate imports that do not
// carry the core (README "App SDK" reports these figures).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minGzipBytes, bundleSdk } from '../support/sdk-bundle.js';

const limit = 15 * 1024;

test('tessera/client (the core) is at most 15 kB min+gzip', async (t) => {
  const core = await minGzipBytes('core');
  t.diagnostic(`core ${core} B, mfa ${await minGzipBytes('mfa')} B, passkeys ${await minGzipBytes('passkeys')} B (min+gzip)`);
  assert.ok(core <= limit, `the core is ${core} bytes min+gzip, over the ${limit}-byte budget`);
});

test('MFA and passkeys are separate imports: neither bundle carries the core, the core carries neither', async () => {
  const [core, mfa, passkeys] = await Promise.all([bundleSdk('core', false), bundleSdk('mfa', false), bundleSdk('passkeys', false)]);
  assert.doesNotMatch(mfa, /createRefreshCoordinator|auth\/refresh/);
  assert.doesNotMatch(passkeys, /createRefreshCoordinator|auth\/refresh/);
  assert.doesNotMatch(core, /auth\/2fa\/totp\/setup|navigator/);
});

test('the core imports nothing of the server', async () => {
  const core = await bundleSdk('core', false);
  assert.doesNotMatch(core, /from ["']node:|require\(|prisma|koa/i);
});
