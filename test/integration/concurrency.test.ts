// Consuming a code or a refresh token is atomic: of many concurrent redemptions exactly one wins (DESIGN.md saw
// oidc-provider's check-then-consume let all 50 through on an asynchronous store). With a reuse interval, the
// concurrent repeats of one refresh token — two browser tabs — all get the one successor instead.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { accessTokenLive, authorizationRequest, discover, oidc, signIn, signInOffline } from '../support/relying-party.js';
import { Browser } from '../support/browser.js';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; status: number };

/** runs `count` calls at once and sorts out the winners from the RFC-error losers; anything else fails the test */
async function race<T>(count: number, call: () => Promise<T>): Promise<{ winners: T[]; losers: { error: string; status: number }[] }> {
  const settled = await Promise.allSettled(Array.from({ length: count }, call));
  const outcomes: Outcome<T>[] = settled.map((result) => {
    if (result.status === 'fulfilled') return { ok: true, value: result.value };
    if (result.reason instanceof oidc.ResponseBodyError) return { ok: false, error: result.reason.error, status: result.reason.status };
    throw result.reason;
  });
  return {
    winners: outcomes.flatMap((o) => (o.ok ? [o.value] : [])),
    losers: outcomes.flatMap((o) => (o.ok ? [] : [{ error: o.error, status: o.status }])),
  };
}

describe('concurrent redemption', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  let strict: oidc.Configuration;
  let tolerant: oidc.Configuration;

  before(async () => {
    tenant = await createTenant(server);
    user = await createUser(server, tenant.slug);
    const strictClient = await createClient(server, tenant.slug, ['--refresh-token-reuse-interval', '0']);
    const tolerantClient = await createClient(server, tenant.slug, ['--refresh-token-reuse-interval', '30']);
    strict = await discover(tenant.issuer, strictClient.client_id, strictClient.client_secret!);
    tolerant = await discover(tenant.issuer, tolerantClient.client_id, tolerantClient.client_secret!);
  });

  it('lets exactly one of 50 concurrent redemptions of one authorization code win', async () => {
    const request = await authorizationRequest(strict, redirectUri, { scope: 'openid offline_access', prompt: 'consent' });
    const callback = await signIn(new Browser(), request.url, redirectUri, user);
    const { winners, losers } = await race(50, () => oidc.authorizationCodeGrant(strict, callback, {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    }));
    assert.equal(winners.length, 1, 'exactly one 200');
    assert.equal(losers.length, 49);
    assert.ok(losers.every((l) => l.error === 'invalid_grant' && l.status === 400), JSON.stringify(losers.filter((l) => l.error !== 'invalid_grant')));
    // the 49 replays revoke what the code granted (RFC 6749 §4.1.2), even though the winner got its tokens first
    const [winner] = winners;
    assert.equal(await accessTokenLive(strict, winner!.access_token), false, "the winner's access token is revoked");
    await assert.rejects(oidc.refreshTokenGrant(strict, winner!.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
  });

  it('lets exactly one of 20 concurrent refreshes of one refresh token win (strict client)', async () => {
    const tokens = await signInOffline(strict, user);
    const { winners, losers } = await race(20, () => oidc.refreshTokenGrant(strict, tokens.refresh_token!));
    assert.equal(winners.length, 1, 'exactly one success');
    assert.equal(losers.length, 19);
    assert.ok(losers.every((l) => l.error === 'invalid_grant' && l.status === 400), JSON.stringify(losers));
    // the 19 replays are replays: the family, the winner's new refresh token included, is revoked
    await assert.rejects(oidc.refreshTokenGrant(strict, winners[0]!.refresh_token!), (error: oidc.ResponseBodyError) => error.error === 'invalid_grant');
  });

  it('gives all of 10 concurrent refreshes the same successor inside the reuse interval (two tabs)', async () => {
    const tokens = await signInOffline(tolerant, user);
    const { winners, losers } = await race(10, () => oidc.refreshTokenGrant(tolerant, tokens.refresh_token!));
    assert.deepEqual(losers, [], 'no refresh is refused');
    assert.equal(winners.length, 10);
    assert.equal(new Set(winners.map((w) => w.refresh_token)).size, 1, 'one successor refresh token');
    assert.equal(new Set(winners.map((w) => w.access_token)).size, 1, 'one successor access token');
    assert.notEqual(winners[0]!.refresh_token, tokens.refresh_token);
    // the family is alive and continues from the successor
    assert.ok(await accessTokenLive(tolerant, winners[0]!.access_token));
    const next = await oidc.refreshTokenGrant(tolerant, winners[0]!.refresh_token!);
    assert.ok(next.refresh_token && next.refresh_token !== winners[0]!.refresh_token);
  });
});
