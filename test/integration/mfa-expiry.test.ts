// What the second step does as days pass (issue #5), with the server's clock moved on instead of waiting: a remembered
// browser is trusted for the tenant's trustedDeviceDays and asked again after them; a required policy's grace period
// ends and sign-in then walks the user through enrolment. The rest of the policy: mfa-policy.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { asPage, atCallback } from '../support/hosted-pages.js';
import { enrolTotp, mfaPage, passwordStep, signInToAccount, totpCode } from '../support/mfa-flows.js';
import { exchange } from '../support/phone-flows.js';
import { discover } from '../support/relying-party.js';
import { letTimePass } from '../support/test-clock.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { useTessera } from '../support/use-tessera.js';

const DAY = 24 * 60 * 60 * 1000;

async function tenantWith(server: TesseraProcess, mfa: Record<string, unknown>) {
  const { slug } = await createTenant(server);
  await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ mfa })]);
  const client = await createClient(server, slug, ['--first-party']);
  return { slug, config: await discover(`${server.url}/t/${slug}`, client.client_id, client.client_secret!) };
}

// Each suite has a server of its own whose clock it moves on: TOTP codes and the policy's start (stamped by the CLI)
// are made with real time, so they must be made before that server's clock moves.

describe('a remembered browser', () => {
  const server = useTessera({}, { movableClock: true });

  it('skips the second step for trustedDeviceDays, and is asked for it again after them', async () => {
    const tenant = await tenantWith(server, { policy: 'optional', trustedDeviceDays: 3 });
    const user = await createUser(server, tenant.slug);
    const manager = new Browser();
    await signInToAccount(server, tenant.slug, manager, user);
    const { secret } = await enrolTotp(server, tenant.slug, manager);
    const browser = new Browser();
    const first = await passwordStep(browser, tenant.config, user);
    await exchange(tenant.config, first.request, await browser.submit(mfaPage(first.step), '/mfa/totp', { code: await totpCode(secret, Date.now() + 30_000), remember: 'on' }, atCallback));

    await letTimePass(server, 3 * DAY - 60_000);
    const remembered = await passwordStep(browser, tenant.config, user, { prompt: 'login' });
    assert.deepEqual((await exchange(tenant.config, remembered.request, remembered.step)).claims.amr, ['pwd'], 'still trusted a minute before the end');

    await letTimePass(server, 2 * 60_000);
    const expired = await passwordStep(browser, tenant.config, user, { prompt: 'login' });
    mfaPage(expired.step);
  });
});

describe('a required policy with a grace period', () => {
  const server = useTessera({}, { movableClock: true });

  it('does not ask inside it, and walks the user through enrolment once it is over', async () => {
    const tenant = await tenantWith(server, { policy: 'required', graceDays: 2 });
    const user = await createUser(server, tenant.slug);
    await letTimePass(server, 2 * DAY - 60_000);
    const inside = await passwordStep(new Browser(), tenant.config, user);
    assert.deepEqual((await exchange(tenant.config, inside.request, inside.step)).claims.amr, ['pwd'], 'not asked a minute before the end');

    await letTimePass(server, 2 * 60_000);
    const { step } = await passwordStep(new Browser(), tenant.config, user);
    assert.match(asPage(step, 'the enrolment page').url.pathname, /\/mfa\/enrol$/);
  });
});
