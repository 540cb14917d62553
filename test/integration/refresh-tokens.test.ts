// Refresh-token rotation (RFC 9700 §4.14.2): every refresh returns a new refresh token and spends the old one; a
// replayed (already rotated) token is refused and revokes the whole family, newest token included. A client's
// reuse interval makes a repeat inside it idempotent — the successor already issued, byte for byte — and the
// strict rule applies again once it has passed. A client that chose no interval gets a 10 s one (a refresh whose
// answer was lost can be retried); 0 is strict from the first repeat.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { letTimePass } from '../support/test-clock.js';
import { accessTokenLive, discover, oidc, refusal, signInOffline } from '../support/relying-party.js';

const reuseIntervalSeconds = 5;

describe('refresh tokens', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let strict: oidc.Configuration;
  let tolerant: oidc.Configuration;
  let byDefault: oidc.Configuration;

  const refresh = (config: oidc.Configuration, token: string) => oidc.refreshTokenGrant(config, token);

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    const strictClient = await createClient(server, tenant.slug, ['--refresh-token-reuse-interval', '0']);
    const defaultClient = await createClient(server, tenant.slug);
    byDefault = await discover(tenant.issuer, defaultClient.client_id, defaultClient.client_secret!);
    const tolerantClient = await createClient(server, tenant.slug, ['--refresh-token-reuse-interval', String(reuseIntervalSeconds)]);
    strict = await discover(tenant.issuer, strictClient.client_id, strictClient.client_secret!);
    tolerant = await discover(tenant.issuer, tolerantClient.client_id, tolerantClient.client_secret!);
  });

  describe('client with --refresh-token-reuse-interval 0 (strict)', () => {
    it('rotates: each refresh returns a new refresh token and new tokens for the same user', async () => {
      const first = await signInOffline(strict, user);
      const second = await refresh(strict, first.refresh_token!);
      const third = await refresh(strict, second.refresh_token!);
      const refreshTokens = [first.refresh_token, second.refresh_token, third.refresh_token];
      assert.equal(new Set(refreshTokens).size, 3, 'a new refresh token on every refresh');
      assert.equal(new Set([first.access_token, second.access_token, third.access_token]).size, 3);
      assert.equal(third.claims()!.sub, user.id);
      assert.equal(third.claims()!.iss, tenant.issuer);
      assert.ok(await accessTokenLive(strict, third.access_token));
    });

    it('refuses a rotated refresh token and revokes the whole family, newest token included', async () => {
      const first = await signInOffline(strict, user);
      const second = await refresh(strict, first.refresh_token!);
      assert.ok(await accessTokenLive(strict, second.access_token));

      assert.deepEqual(await refusal(refresh(strict, first.refresh_token!)), { error: 'invalid_grant', status: 400 });

      assert.deepEqual(await refusal(refresh(strict, second.refresh_token!)), { error: 'invalid_grant', status: 400 }, 'newest refresh token revoked');
      assert.equal(await accessTokenLive(strict, second.access_token), false, 'access token of the family revoked');
    });

    it('does not revoke other families of the same user and client', async () => {
      const doomed = await signInOffline(strict, user);
      const bystander = await signInOffline(strict, user);
      await refresh(strict, doomed.refresh_token!);
      await refusal(refresh(strict, doomed.refresh_token!));
      const next = await refresh(strict, bystander.refresh_token!);
      assert.ok(next.refresh_token);
    });

    it('refuses a refresh token presented by another client with invalid_grant', async () => {
      const tokens = await signInOffline(strict, user);
      assert.deepEqual(await refusal(refresh(tolerant, tokens.refresh_token!)), { error: 'invalid_grant', status: 400 });
    });

    it('refuses an unknown refresh token with invalid_grant', async () => {
      assert.deepEqual(await refusal(refresh(strict, 'not-a-refresh-token')), { error: 'invalid_grant', status: 400 });
    });
  });

  describe(`client with --refresh-token-reuse-interval ${reuseIntervalSeconds}`, () => {
    it('answers a repeat inside the interval with exactly the successor tokens and keeps the family alive', async () => {
      const first = await signInOffline(tolerant, user);
      const successor = await refresh(tolerant, first.refresh_token!);
      assert.notEqual(successor.refresh_token, first.refresh_token);

      const repeat = await refresh(tolerant, first.refresh_token!);
      assert.equal(repeat.refresh_token, successor.refresh_token, 'same refresh token');
      assert.equal(repeat.access_token, successor.access_token, 'same access token');
      assert.equal(repeat.id_token, successor.id_token, 'same id_token');

      assert.ok(await accessTokenLive(tolerant, successor.access_token), 'the family is alive');
      const next = await refresh(tolerant, successor.refresh_token!);
      assert.notEqual(next.refresh_token, successor.refresh_token);
      assert.ok(await accessTokenLive(tolerant, next.access_token));
    });

    it('refuses a repeat after the interval and revokes the family, newest token included', async () => {
      const first = await signInOffline(tolerant, user);
      const successor = await refresh(tolerant, first.refresh_token!);
      const newest = await refresh(tolerant, successor.refresh_token!);

      await letTimePass(server, (reuseIntervalSeconds + 1) * 1000);

      assert.deepEqual(await refusal(refresh(tolerant, first.refresh_token!)), { error: 'invalid_grant', status: 400 });
      assert.deepEqual(await refusal(refresh(tolerant, newest.refresh_token!)), { error: 'invalid_grant', status: 400 }, 'newest refresh token revoked');
      assert.equal(await accessTokenLive(tolerant, newest.access_token), false, 'access token of the family revoked');
    });
  });

  describe('client created without an interval: the default 10 s window', () => {
    it('answers a retry of a lost refresh with the same successor, and refuses a repeat after 10 s, revoking the family', async () => {
      const first = await signInOffline(byDefault, user);
      const successor = await refresh(byDefault, first.refresh_token!);
      // the answer never reached the client: it retries with the token it still holds
      const retry = await refresh(byDefault, first.refresh_token!);
      assert.equal(retry.refresh_token, successor.refresh_token, 'the same successor');
      assert.ok(await accessTokenLive(byDefault, retry.access_token));

      await letTimePass(server, 11_000);
      assert.deepEqual(await refusal(refresh(byDefault, first.refresh_token!)), { error: 'invalid_grant', status: 400 });
      assert.deepEqual(await refusal(refresh(byDefault, successor.refresh_token!)), { error: 'invalid_grant', status: 400 }, 'the family is revoked');
    });
  });
});
