// Codes and links expire (issue #3): past its TTL a code or link gets the expired answer, in the browser that
// asked for it. The shortest TTL a tenant may set is 60 s: the server's clock is moved past it (letTimePass; a spawned
// server waits it out), so what expires them here is Tessera's own expiry check, not the Redis keys' TTL (that one is
// one-time-codes-redis.test.ts). The other rules for codes: code-security.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser } from '../support/fixtures.js';
import { atCallback } from '../support/hosted-pages.js';
import { letTimePass } from '../support/test-clock.js';
import { assertExpired, assertLinkGone, Browser, emailRealm, mailTo, startByEmail, submitCode, useEmailTessera } from '../support/email-flows.js';

describe('one-time code expiry', () => {
  const world = useEmailTessera();

  it('an expired code and an expired link get the expired answer', async () => {
    const realm = await emailRealm(world.server, { methods: { emailOtp: true, magicLink: true }, code: { ttlSeconds: 60 }, magicLinkTtlSeconds: 60 });
    const user = await createUser(world.server, realm.slug);
    const byCode = new Browser();
    const { page } = await startByEmail(byCode, realm.config, user.email, 'email-code');
    const byLink = new Browser();
    await startByEmail(byLink, realm.config, user.email, 'magic-link');
    const mails = [await mailTo(world.smtp, user.email, 1), await mailTo(world.smtp, user.email, 2)];
    // delivery runs in the background: the two may arrive in either order
    const codeMail = mails.find((m) => !m.link)!;
    const linkMail = mails.find((m) => m.link)!;
    assert.match(codeMail.text, /The code expires in 1 minute and works only once\./);
    assert.match(linkMail.text, /The code and the link expire in 1 minute and work only once\./);

    await letTimePass(world.server, 61_000);
    // either would have signed in (a redirect to the callback) before its TTL ran out
    assertExpired(await submitCode(byCode, page, codeMail.code!), 'a code past its TTL');
    assertLinkGone(await byLink.navigate(linkMail.link!, atCallback), 'expired', 'a link past its TTL');
  });
});
