// Attempt limits under concurrency (issue #13, finding 5): an attacker who sends many guesses at once must not get
// more of them judged than the limit allows. Each race fires 60 wrong guesses in parallel at one account and counts
// the answers that judged a guess (401 for a password, 400 for a code) against those that refused it unjudged (429);
// the right secret afterwards is refused while the account is locked.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Browser, type Page } from '../support/browser.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { asPage, atCallback, createRealm, loginPage, visibleText } from '../support/hosted-pages.js';
import { enrolTotp, mfaPage, passwordStep, signInToAccount, totpCode } from '../support/mfa-flows.js';
import { discover, type oidc } from '../support/relying-party.js';
import { query } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';

const GUESSES = 60;
const LIMIT = 10;

/** the statuses of `GUESSES` submissions made at once, counted */
async function race(submit: (i: number) => Promise<Page | URL>): Promise<Map<number, number>> {
  const steps = await Promise.all(Array.from({ length: GUESSES }, (_, i) => submit(i)));
  const counts = new Map<number, number>();
  for (const step of steps) {
    const status = asPage(step, 'an answer page').status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

describe('attempt limits under concurrent guesses', () => {
  const server = useTessera();
  const audited = (slug: string, type: string, subject?: string) => query<{ n: string }>(
    server.env.DATABASE_URL!,
    `SELECT count(*) AS n FROM audit_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 AND e.type = $2${subject ? ' AND e.subject = $3' : ''}`,
    subject ? [slug, type, subject] : [slug, type],
  ).then((rows) => Number(rows[0]!.n));

  it(`${GUESSES} parallel wrong passwords: at most ${LIMIT} are judged, then even the right one is refused`, async () => {
    const realm = await createRealm(server);
    const browser = new Browser();
    const { page } = await loginPage(browser, realm.firstParty);
    const counts = await race((i) => browser.submit(page, '/login', { email: realm.user.email, password: `Wrong-password-${i}` }, atCallback));
    const judged = counts.get(401) ?? 0;
    assert.deepEqual([...counts.keys()].filter((s) => s !== 401 && s !== 429), [], `only 401 and 429: ${JSON.stringify([...counts])}`);
    assert.ok(judged <= LIMIT, `${judged} wrong passwords were judged against a limit of ${LIMIT}`);
    assert.equal(judged + (counts.get(429) ?? 0), GUESSES);
    assert.ok(await audited(realm.slug, 'login.failed') <= LIMIT, 'no more failures were checked than the limit');

    const right = asPage(await browser.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'the locked page');
    assert.equal(right.status, 429);
    assert.match(visibleText(right.html), /Too many attempts/);
  });

  describe('second factor', () => {
    let slug: string;
    let config: oidc.Configuration;
    before(async () => {
      slug = (await createTenant(server)).slug;
      const client = await createClient(server, slug, ['--first-party']);
      config = await discover(`${server.url}/t/${slug}`, client.client_id, client.client_secret!);
    });

    it(`${GUESSES} parallel wrong authenticator codes: at most ${LIMIT} are judged, then even the right code is refused`, async () => {
      const user = await createUser(server, slug);
      const enrolling = new Browser();
      await signInToAccount(server, slug, enrolling, user);
      const { secret } = await enrolTotp(server, slug, enrolling);
      const browser = new Browser();
      const page = mfaPage((await passwordStep(browser, config, user)).step);
      // six digits that are none of the codes the ±1 step tolerance would accept now
      const valid = new Set(await Promise.all([-60_000, -30_000, 0, 30_000, 60_000].map((d) => totpCode(secret, Date.now() + d))));
      const wrong = ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c))!;
      const counts = await race(() => browser.submit(page, '/mfa/totp', { code: wrong }, atCallback));
      const judged = counts.get(400) ?? 0;
      assert.deepEqual([...counts.keys()].filter((s) => s !== 400 && s !== 429), [], `only 400 and 429: ${JSON.stringify([...counts])}`);
      assert.ok(judged <= LIMIT, `${judged} wrong codes were judged against a limit of ${LIMIT}`);
      assert.ok(await audited(slug, 'mfa.failed', user.id) <= LIMIT, 'no more failures were checked than the limit');

      const right = asPage(await browser.submit(page, '/mfa/totp', { code: await totpCode(secret, Date.now() + 30_000) }, atCallback), 'the locked page');
      assert.equal(right.status, 429);
      assert.match(visibleText(right.html), /Too many wrong codes\./);
    });

    it(`${GUESSES} parallel wrong recovery codes: at most ${LIMIT} are judged`, async () => {
      const user = await createUser(server, slug);
      const enrolling = new Browser();
      await signInToAccount(server, slug, enrolling, user);
      const { codes } = await enrolTotp(server, slug, enrolling);
      const browser = new Browser();
      const page = mfaPage((await passwordStep(browser, config, user)).step);
      const counts = await race((i) => browser.submit(page, '/mfa/recovery', { code: `wrong-${String(i).padStart(5, '0')}` }, atCallback));
      const judged = counts.get(400) ?? 0;
      assert.deepEqual([...counts.keys()].filter((s) => s !== 400 && s !== 429), [], `only 400 and 429: ${JSON.stringify([...counts])}`);
      assert.ok(judged <= LIMIT, `${judged} wrong recovery codes were judged against a limit of ${LIMIT}`);

      const right = asPage(await browser.submit(page, '/mfa/recovery', { code: codes[0]! }, atCallback), 'the locked page');
      assert.equal(right.status, 429);
    });
  });
});
