// Sign-in with GitHub and with Discord (issue #4) against the stand-ins of test/support/upstreams (VENDORS §6, §8),
// through the hosted pages and a real server: a new user and a returning one; for GitHub only a primary, verified
// address counts (neither a verified secondary one nor the public profile `email`), automatic linking only by that
// address, the organisation restriction, a token error answered with HTTP 200 and a denial; for Discord the
// `verified` flag decides whether the address is verified and whether it may ever link (and an address claimed
// unverified is unlinked once its owner proves it), and a token error.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { createUser } from '../support/fixtures.js';
import { Browser } from '../support/browser.js';
import { asCodePage, enterCode, readOutbox, waitFor } from '../support/phone-flows.js';
import { accessTokenLive } from '../support/relying-party.js';
import { atCallback, loginPage, visibleText } from '../support/hosted-pages.js';
import {
  auditOf, createFederatedTenant, federatedSignIn, identitiesOf, noticePage, signedIn, userByEmail, type FederatedTenant,
} from '../support/federation-flows.js';
import { startDiscordStandIn, type DiscordStandIn } from '../support/upstreams/discord-stand-in.js';
import { startGitHubStandIn, type GitHubAccount, type GitHubStandIn } from '../support/upstreams/github-stand-in.js';
import { useTessera } from '../support/use-tessera.js';

const unique = () => randomBytes(4).toString('hex');
const githubId = () => randomInt(1, 2 ** 31);
const snowflake = () => String(BigInt(Date.now() - 1_420_070_400_000) << 22n | BigInt(randomInt(0, 4_194_304)));
type Emails = GitHubAccount['emails'];
const address = (email: string, primary: boolean, verified: boolean): Emails[number] => ({ email, primary, verified, visibility: null });

describe('Sign in with GitHub and Discord', () => {
  const server = useTessera();
  let gh: GitHubStandIn;
  let discord: DiscordStandIn;
  before(async () => {
    [gh, discord] = await Promise.all([startGitHubStandIn(), startDiscordStandIn()]);
  });
  after(() => Promise.all([gh?.close(), discord?.close()]));
  afterEach(() => {
    assert.deepEqual(gh.rejections.splice(0), [], 'the GitHub stand-in refused a request');
    assert.deepEqual(discord.rejections.splice(0), [], 'the Discord stand-in refused a request');
  });

  describe('GitHub', () => {
    async function githubTenant(options: { trusted?: boolean; orgs?: string[] } = {}): Promise<{ tenant: FederatedTenant; clientId: string }> {
      let clientId = '';
      const tenant = await createFederatedTenant(server, (callbackUrl) => {
        const app = gh.registerClient({ redirectUris: [callbackUrl] });
        clientId = app.clientId;
        return {
          github: {
            type: 'github', clientId: app.clientId, clientSecret: app.clientSecret, baseUrl: gh.url, apiUrl: gh.url,
            trustedForLinking: options.trusted ?? false, ...(options.orgs ? { allowedOrganizations: options.orgs } : {}),
          },
        };
      });
      return { tenant, clientId };
    }

    it('a new user signs up with the primary verified address; the same GitHub account signs in again as that user', async () => {
      const { tenant, clientId } = await githubTenant();
      const u = unique();
      const primary = `ann-${u}@example.test`;
      const account: GitHubAccount = {
        id: githubId(), login: `ann-${u}`, name: 'Ann Hub', email: `public-${u}@example.test`, avatar_url: 'https://avatars.example/ann.png',
        // a verified, non-primary address listed first: it must not be the one taken
        emails: [address(`other-${u}@example.test`, false, true), address(primary, true, true)],
      };
      gh.signInAs(account);
      const first = await federatedSignIn(tenant, 'github');
      const { claims, userinfo } = await signedIn(tenant, first.request, first.step);
      assert.deepEqual(claims.amr, ['fed']);
      assert.deepEqual([userinfo.email, userinfo.email_verified, userinfo.name, userinfo.picture], [primary, true, 'Ann Hub', 'https://avatars.example/ann.png']);

      // what GitHub was asked: our app, our callback, the default scopes, state and PKCE S256
      const asked = gh.authorizations.at(-1)!;
      assert.equal(asked.client_id, clientId);
      assert.equal(asked.redirect_uri, tenant.callbackUrl);
      assert.equal(asked.scope, 'read:user user:email');
      assert.ok(asked.state && asked.state.length >= 32, 'a state is sent');
      assert.equal(asked.code_challenge_method, 'S256');
      assert.match(asked.code_challenge!, /^[A-Za-z0-9_-]{43}$/);

      const identities = await identitiesOf(server, tenant.slug);
      assert.deepEqual(identities.map((i) => [i.connection, i.subject, i.email, i.email_verified, i.user_id]), [['github', String(account.id), primary, true, claims.sub]]);
      assert.equal(await userByEmail(server, tenant.slug, account.email!), undefined, 'the public profile email is not used');
      assert.equal(await userByEmail(server, tenant.slug, `other-${u}@example.test`), undefined, 'nor a non-primary address');

      gh.signInAs({ ...account, name: 'Ann H.' });
      const again = await federatedSignIn(tenant, 'github');
      assert.equal((await signedIn(tenant, again.request, again.step)).claims.sub, claims.sub);
      const events = await auditOf(server, tenant.slug, ['signup.completed', 'identity.linked', 'login.succeeded']);
      assert.deepEqual(events.map((e) => [e.type, e.data.connection, e.data.how ?? e.data.method]), [
        ['identity.linked', 'github', 'sign_up'], ['signup.completed', 'github', 'federated'], ['login.succeeded', 'github', 'federated'], ['login.succeeded', 'github', 'federated'],
      ]);
      assert.equal(events[2]!.data.issuer, gh.url, 'the GitHub API is recorded as who vouched');
    });

    for (const [why, emails] of [
      ['the primary address is unverified (a verified one is not primary)', (a: string, b: string): Emails => [address(a, true, false), address(b, false, true)]],
      ['GitHub lists no address at all', (): Emails => []],
    ] as const) {
      it(`only a primary, verified address counts: when ${why} the new account has no email and nothing links, however trusted`, async () => {
        const { tenant } = await githubTenant({ trusted: true });
        // verified local accounts holding the unverified primary, the verified secondary and the public address
        const a = await createUser(server, tenant.slug);
        const b = await createUser(server, tenant.slug);
        const subject = githubId();
        gh.signInAs({ id: subject, login: `bob-${unique()}`, name: 'Bob Hub', email: a.email, emails: emails(a.email, b.email) });
        const { request, step } = await federatedSignIn(tenant, 'github');
        const { claims, userinfo } = await signedIn(tenant, request, step);
        assert.ok(claims.sub !== a.id && claims.sub !== b.id, 'a new account, not one of the local ones');
        assert.deepEqual(claims.amr, ['fed']);
        assert.equal(userinfo.email, undefined);
        assert.equal(userinfo.email_verified, undefined);
        assert.equal(userinfo.name, 'Bob Hub');
        const identities = await identitiesOf(server, tenant.slug);
        assert.deepEqual(identities.map((i) => [i.subject, i.email, i.email_verified, i.user_id]), [[String(subject), null, false, claims.sub]]);
        assert.deepEqual((await auditOf(server, tenant.slug, ['identity.linked'])).map((e) => [e.subject, e.data.how]), [[claims.sub, 'sign_up']]);
      });
    }

    it('links automatically to the verified local account whose email is the primary verified address, when trusted', async () => {
      const { tenant } = await githubTenant({ trusted: true });
      const local = await createUser(server, tenant.slug);
      const subject = githubId();
      gh.signInAs({
        id: subject, login: `carol-${unique()}`, name: 'Carol Hub', email: null,
        emails: [address(`else-${unique()}@example.test`, false, true), address(local.email.toUpperCase(), true, true)],
      });
      const { request, step } = await federatedSignIn(tenant, 'github');
      const { claims } = await signedIn(tenant, request, step);
      assert.equal(claims.sub, local.id);
      assert.deepEqual(claims.amr, ['fed']);
      assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => [i.user_id, i.subject, i.email, i.email_verified]), [[local.id, String(subject), local.email, true]]);
      assert.deepEqual((await auditOf(server, tenant.slug, ['identity.linked'])).map((e) => e.data.how), ['automatic']);
    });

    it('organisation restriction: a member signs in (read:org is asked for), a non-member gets the refusal page', async () => {
      const { tenant } = await githubTenant({ orgs: ['acme'] });
      const member = `dave-${unique()}@example.test`;
      gh.signInAs({ id: githubId(), login: `dave-${unique()}`, name: 'Dave', emails: [address(member, true, true)], orgs: ['other-org', 'acme'] });
      const ok = await federatedSignIn(tenant, 'github');
      const { userinfo } = await signedIn(tenant, ok.request, ok.step);
      assert.equal(userinfo.email, member);
      assert.equal(gh.authorizations.at(-1)!.scope, 'read:user user:email read:org');

      const outsider = `eve-${unique()}@example.test`;
      gh.signInAs({ id: githubId(), login: `eve-${unique()}`, name: 'Eve', emails: [address(outsider, true, true)], orgs: ['other-org'] });
      const refused = noticePage((await federatedSignIn(tenant, 'github')).step, 403);
      assert.match(visibleText(refused.html), /This GitHub account is not allowed to sign in here\./);
      assert.equal(await userByEmail(server, tenant.slug, outsider), undefined);
      assert.equal((await identitiesOf(server, tenant.slug)).length, 1, 'only the member has an identity');
      assert.equal((await auditOf(server, tenant.slug, ['federation.failed'])).at(-1)!.data.reason, 'not_allowed');
    });

    it('a token error answered with HTTP 200 is not trusted: a friendly page, nobody signed in', async () => {
      const { tenant } = await githubTenant();
      const email = `fay-${unique()}@example.test`;
      gh.signInAs({ id: githubId(), login: `fay-${unique()}`, emails: [address(email, true, true)] });
      gh.failNextToken('bad_verification_code');
      const page = noticePage((await federatedSignIn(tenant, 'github')).step, 400);
      assert.match(visibleText(page.html), /GitHub sent an answer that could not be trusted/);
      assert.match(page.html, /href="\/t\/[^/]+\/interaction\/[^"]+"[^>]*>Continue</);
      const failure = (await auditOf(server, tenant.slug, ['federation.failed'])).at(-1)!;
      assert.equal(failure.data.reason, 'invalid_response');
      assert.match(String(failure.data.detail), /bad_verification_code/);
      assert.equal(await userByEmail(server, tenant.slug, email), undefined);
      assert.deepEqual(await identitiesOf(server, tenant.slug), []);
    });

    it('a denial at GitHub comes back as a friendly page', async () => {
      const { tenant } = await githubTenant();
      gh.denyNext();
      const page = noticePage((await federatedSignIn(tenant, 'github')).step, 400);
      assert.match(visibleText(page.html), /GitHub did not sign you in/);
      assert.equal((await auditOf(server, tenant.slug, ['federation.failed'])).at(-1)!.data.reason, 'denied');
      assert.deepEqual(await identitiesOf(server, tenant.slug), []);
    });
  });

  describe('Discord', () => {
    async function discordTenant(options: { trusted?: boolean } = {}): Promise<{ tenant: FederatedTenant; clientId: string }> {
      let clientId = '';
      const tenant = await createFederatedTenant(server, (callbackUrl) => {
        const app = discord.registerClient({ redirectUris: [callbackUrl] });
        clientId = app.clientId;
        return { discord: { type: 'discord', clientId: app.clientId, clientSecret: app.clientSecret, baseUrl: discord.url, trustedForLinking: options.trusted ?? false } };
      });
      return { tenant, clientId };
    }

    it('a new user signs up with a verified Discord email and global name; the same Discord account signs in again', async () => {
      const { tenant, clientId } = await discordTenant();
      const u = unique();
      const account = { id: snowflake(), username: `gina_${u}`, global_name: 'Gina D', avatar: `a${u}`, email: `Gina-${u}@Example.test`, verified: true };
      discord.signInAs(account);
      const first = await federatedSignIn(tenant, 'discord');
      const { claims, userinfo } = await signedIn(tenant, first.request, first.step);
      assert.deepEqual(claims.amr, ['fed']);
      assert.deepEqual([userinfo.email, userinfo.email_verified, userinfo.name, userinfo.picture],
        [account.email.toLowerCase(), true, 'Gina D', `https://cdn.discordapp.com/avatars/${account.id}/${account.avatar}.png`]);

      const asked = discord.authorizations.at(-1)!;
      assert.deepEqual([asked.response_type, asked.client_id, asked.redirect_uri, asked.scope], ['code', clientId, tenant.callbackUrl, 'identify email']);
      assert.ok(asked.state && asked.state.length >= 32, 'a state is sent');
      assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => [i.connection, i.subject, i.email, i.email_verified, i.user_id]),
        [['discord', account.id, account.email.toLowerCase(), true, claims.sub]]);

      discord.signInAs({ ...account, global_name: 'Gina' });
      const again = await federatedSignIn(tenant, 'discord');
      assert.equal((await signedIn(tenant, again.request, again.step)).claims.sub, claims.sub);
      const logins = await auditOf(server, tenant.slug, ['login.succeeded']);
      assert.deepEqual(logins.map((e) => [e.data.connection, e.data.issuer]), [['discord', `${discord.url}/api`], ['discord', `${discord.url}/api`]]);
    });

    it('an unverified Discord email is stored unverified, and never links automatically even when the connection is trusted', async () => {
      const { tenant } = await discordTenant({ trusted: true });
      const fresh = `hal-${unique()}@example.test`;
      const subject = snowflake();
      discord.signInAs({ id: subject, username: `hal_${unique()}`, email: fresh, verified: false });
      const first = await federatedSignIn(tenant, 'discord');
      const { claims, userinfo } = await signedIn(tenant, first.request, first.step);
      assert.deepEqual([userinfo.email, userinfo.email_verified], [fresh, false]);
      assert.equal((await userByEmail(server, tenant.slug, fresh))?.email_verified, false);
      assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => [i.subject, i.email, i.email_verified, i.user_id]), [[subject, fresh, false, claims.sub]]);

      // the address of a verified local account, unverified at Discord: the user must prove the account first
      const local = await createUser(server, tenant.slug);
      discord.signInAs({ id: snowflake(), username: `ivy_${unique()}`, email: local.email, verified: false });
      const explain = noticePage((await federatedSignIn(tenant, 'discord')).step, 409);
      assert.match(visibleText(explain.html), /You already have an account/);
      assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => i.user_id), [claims.sub], 'nothing linked to the local account');
      assert.deepEqual((await auditOf(server, tenant.slug, ['identity.linked'])).map((e) => e.data.how), ['sign_up']);
    });

    it('the owner of an address a Discord account claimed unverified proves it by email code: that Discord account is unlinked and its tokens die', async () => {
      const tenant = await createFederatedTenant(server, (callbackUrl) => {
        const app = discord.registerClient({ redirectUris: [callbackUrl] });
        return { discord: { type: 'discord', clientId: app.clientId, clientSecret: app.clientSecret, baseUrl: discord.url } };
      }, { signUp: true, methods: { emailOtp: true } });
      const victim = `victim-${unique()}@example.test`;
      const squatter = { id: snowflake(), username: `sq_${unique()}`, email: victim, verified: false };
      discord.signInAs(squatter);
      const squat = await federatedSignIn(tenant, 'discord');
      const squatted = await signedIn(tenant, squat.request, squat.step);
      assert.equal(await accessTokenLive(tenant.config, squatted.tokens.access_token), true);

      // the mailbox's owner signs in with a code sent to it: the same account, now verified
      const browser = new Browser();
      const { request, page } = await loginPage(browser, tenant.config);
      const codePage = asCodePage(await browser.submit(page, '/email-code', { email: victim }, atCallback));
      const entry = await waitFor('the code in the outbox', async () => (await readOutbox(tenant.issuer)).find((e) => e.to === victim && e.code));
      const owner = await signedIn(tenant, request, await enterCode(browser, codePage, entry.code!));
      assert.equal(owner.claims.sub, squatted.claims.sub);
      assert.equal(owner.userinfo.email_verified, true);
      assert.deepEqual(await identitiesOf(server, tenant.slug), [], 'the unproven Discord link is gone');
      assert.deepEqual((await auditOf(server, tenant.slug, ['identity.unlinked'])).map((e) => e.data), [{ connection: 'discord', reason: 'email_proven_by_owner' }]);
      assert.equal(await accessTokenLive(tenant.config, squatted.tokens.access_token), false, 'what the Discord sign-in got is revoked');

      // the Discord account no longer opens the account: it meets the verified address and must prove it
      discord.signInAs(squatter);
      noticePage((await federatedSignIn(tenant, 'discord')).step, 409);
    });

    it('a token error is not trusted: a friendly page, nobody signed in', async () => {
      const { tenant } = await discordTenant();
      const email = `jo-${unique()}@example.test`;
      discord.signInAs({ id: snowflake(), username: `jo_${unique()}`, email, verified: true });
      discord.failNextToken('invalid_grant');
      const page = noticePage((await federatedSignIn(tenant, 'discord')).step, 400);
      assert.match(visibleText(page.html), /Discord sent an answer that could not be trusted/);
      const failure = (await auditOf(server, tenant.slug, ['federation.failed'])).at(-1)!;
      assert.equal(failure.data.reason, 'invalid_response');
      assert.match(String(failure.data.detail), /invalid_grant/);
      assert.equal(await userByEmail(server, tenant.slug, email), undefined);
    });
  });
});
