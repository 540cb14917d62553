// `tessera keys rotate` against a running server: the new key is published first and signs once its
// pre-publication period is over (--pre-publish 0: at once); the old one stays published (verify-only) so tokens it
// signed keep verifying — no restart, nothing re-issued — and leaves the JWKS at its unpublishAt. An emergency
// rotation drops the old key at once.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import pg from 'pg';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { codeFlow, discover, oidc } from '../support/relying-party.js';

interface PublicJwk extends jose.JWK { kid: string; alg: string; key_ops?: string[] }
interface Rotation {
  kid: string; alg: string; tenant: string; publishedAt: string; signsFrom: string; emergency: boolean; breaks?: string[];
  replaced: { kid: string; stopsSigningAt: string; unpublishedAt: string }[];
}

/** how long a rotation may take to reach the server (pub/sub); a bound for correctness, not a speed claim */
const propagationDeadlineMs = 10_000;

describe('signing key rotation', () => {
  const server = useTessera();

  async function jwksOf(issuer: string): Promise<PublicJwk[]> {
    const response = await fetch(`${issuer}/jwks`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { keys: PublicJwk[] }).keys;
  }

  /** the JWKS once it publishes `kid` */
  async function jwksWith(issuer: string, kid: string): Promise<PublicJwk[]> {
    const deadline = Date.now() + propagationDeadlineMs;
    for (;;) {
      const keys = await jwksOf(issuer);
      if (keys.some((k) => k.kid === kid)) return keys;
      if (Date.now() > deadline) assert.fail(`the running server did not publish ${kid} within ${propagationDeadlineMs} ms: ${JSON.stringify(keys.map((k) => k.kid))}`);
      await sleep(100);
    }
  }

  /** a rotation whose key signs at once */
  const rotate = (slug: string, alg: string) => cliJson<Rotation>(server, ['keys', 'rotate', '--tenant', slug, '--alg', alg, '--pre-publish', '0']);

  /** a tenant with a user and a web client, and with `machine` a client_credentials client, to get fresh tokens from */
  async function setUp(options: { machine?: boolean } = {}) {
    const tenant = await createTenant(server);
    const [user, client, machine] = await Promise.all([
      createUser(server, tenant.slug),
      createClient(server, tenant.slug, ['--first-party']),
      options.machine ? cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', tenant.slug, '--name', 'Worker', '--grant', 'client_credentials']) : undefined,
    ]);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const machineConfig = machine && (await discover(tenant.issuer, machine.client_id, machine.client_secret));
    return {
      tenant,
      config,
      idToken: async () => (await codeFlow(config, redirectUri, user)).tokens.id_token!,
      accessToken: async () => (await oidc.clientCredentialsGrant(machineConfig!)).access_token,
    };
  }

  it('RS256: publishes the new key beside the old, verify-only one; old tokens verify, new tokens use the new key', async () => {
    const { tenant, config, idToken, accessToken } = await setUp({ machine: true });
    const [oldIdToken, oldAccessToken] = await Promise.all([idToken(), accessToken()]);
    const oldKid = jose.decodeProtectedHeader(oldIdToken).kid!;
    assert.equal(jose.decodeProtectedHeader(oldAccessToken).kid, oldKid, 'both are signed with the RS256 key');

    const rotated = await rotate(tenant.slug, 'RS256');
    assert.equal(rotated.alg, 'RS256');
    assert.equal(rotated.tenant, tenant.slug);
    assert.equal(typeof rotated.kid, 'string');
    assert.notEqual(rotated.kid, oldKid);

    const keys = await jwksWith(tenant.issuer, rotated.kid);
    const rsa = keys.filter((k) => k.alg === 'RS256');
    assert.deepEqual(rsa.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort(), 'both RS256 keys are published');
    assert.deepEqual(rsa.find((k) => k.kid === oldKid)!.key_ops, ['verify'], 'the old key is verify-only');
    assert.equal(rsa.find((k) => k.kid === rotated.kid)!.key_ops, undefined);
    for (const key of keys) assert.equal(key.d, undefined, 'public keys only');

    const jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    await jose.jwtVerify(oldIdToken, jwks, { issuer: tenant.issuer, audience: config.clientMetadata().client_id });
    await jose.jwtVerify(oldAccessToken, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api`, typ: 'at+jwt' });

    const [newIdToken, newAccessToken] = await Promise.all([idToken(), accessToken()]);
    assert.equal(jose.decodeProtectedHeader(newIdToken).kid, rotated.kid);
    assert.equal(jose.decodeProtectedHeader(newAccessToken).kid, rotated.kid);
    await jose.jwtVerify(newIdToken, jwks, { issuer: tenant.issuer, audience: config.clientMetadata().client_id });
    await jose.jwtVerify(newAccessToken, jwks, { issuer: tenant.issuer, audience: `${tenant.issuer}/api` });
  });

  it('rotates twice: every retired key stays published until its tokens expire', async () => {
    const { tenant, idToken } = await setUp();
    const first = jose.decodeProtectedHeader(await idToken()).kid!;
    const second = (await rotate(tenant.slug, 'RS256')).kid;
    await jwksWith(tenant.issuer, second);
    const signedBySecond = await idToken();
    const third = (await rotate(tenant.slug, 'RS256')).kid;
    const rsa = (await jwksWith(tenant.issuer, third)).filter((k) => k.alg === 'RS256');
    assert.deepEqual(rsa.map((k) => k.kid).sort(), [first, second, third].sort());
    assert.deepEqual(rsa.filter((k) => k.key_ops?.includes('verify')).map((k) => k.kid).sort(), [first, second].sort());
    assert.equal(jose.decodeProtectedHeader(signedBySecond).kid, second);
    assert.equal(jose.decodeProtectedHeader(await idToken()).kid, third);

    const listed = await cliJson<{ kid: string; alg: string; active: boolean }[]>(server, ['keys', 'list', '--tenant', tenant.slug]);
    assert.deepEqual(listed.filter((k) => k.alg === 'RS256' && k.active).map((k) => k.kid), [third], 'one active RS256 key');
  });

  for (const alg of ['ES256', 'EdDSA']) {
    it(`${alg}: the new key is published, the old one stays as verify-only, other algorithms are untouched`, async () => {
      const tenant = await createTenant(server);
      const before = await jwksOf(tenant.issuer);
      const old = before.find((k) => k.alg === alg)!;
      const rotated = await rotate(tenant.slug, alg);
      assert.equal(rotated.alg, alg);
      assert.notEqual(rotated.kid, old.kid);

      const after = await jwksWith(tenant.issuer, rotated.kid);
      const ofAlg = after.filter((k) => k.alg === alg);
      assert.deepEqual(ofAlg.map((k) => k.kid).sort(), [old.kid, rotated.kid].sort());
      assert.deepEqual(ofAlg.find((k) => k.kid === old.kid)!.key_ops, ['verify']);
      assert.equal(ofAlg.find((k) => k.kid === rotated.kid)!.key_ops, undefined);
      assert.equal(ofAlg.find((k) => k.kid === rotated.kid)!.d, undefined);
      const others = (keys: PublicJwk[]) => keys.filter((k) => k.alg !== alg).map((k) => k.kid).sort();
      assert.deepEqual(others(after), others(before));
    });
  }

  /** the kid of the tenant's new id_tokens once `kid` signs them (a provider is rebuilt when a key starts signing) */
  async function signsWith(idToken: () => Promise<string>, kid: string, seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      if (jose.decodeProtectedHeader(await idToken()).kid === kid) return;
      if (Date.now() > deadline) assert.fail(`${kid} did not start signing within ${seconds} s`);
      await sleep(500);
    }
  }

  it('pre-publishes: the new key is in the JWKS before it signs, and signs from the reported instant', async () => {
    const { tenant, config, idToken } = await setUp();
    const signedBefore = await idToken();
    const oldKid = jose.decodeProtectedHeader(signedBefore).kid!;
    const rotated = await cliJson<Rotation>(server, ['keys', 'rotate', '--tenant', tenant.slug, '--pre-publish', '5']);
    const publishedAt = Date.parse(rotated.publishedAt);
    assert.equal(Date.parse(rotated.signsFrom) - publishedAt, 5000, 'signs 5 s after it is published');
    assert.equal(rotated.emergency, false);
    // the replaced key stops signing then, and leaves once its tokens have expired: + 1 h (default lifetimes) + 5 min skew
    assert.deepEqual(rotated.replaced, [{ kid: oldKid, stopsSigningAt: rotated.signsFrom, unpublishedAt: new Date(Date.parse(rotated.signsFrom) + (3600 + 300) * 1000).toISOString() }]);

    const keys = (await jwksWith(tenant.issuer, rotated.kid)).filter((k) => k.alg === 'RS256');
    assert.deepEqual(keys.find((k) => k.kid === rotated.kid)!.key_ops, ['verify'], 'published, not signing yet');
    assert.equal(keys.find((k) => k.kid === oldKid)!.key_ops, undefined, 'the current key still signs');
    const during = await idToken();
    if (Date.now() < Date.parse(rotated.signsFrom)) assert.equal(jose.decodeProtectedHeader(during).kid, oldKid, 'signed by the current key during the period');
    const listed = await cliJson<{ kid: string; state: string }[]>(server, ['keys', 'list', '--tenant', tenant.slug]);
    if (Date.now() < Date.parse(rotated.signsFrom)) assert.equal(listed.find((k) => k.kid === rotated.kid)?.state, 'pending');

    await signsWith(idToken, rotated.kid, 30);
    assert.ok(Date.now() >= Date.parse(rotated.signsFrom), 'not before the reported instant');
    const after = (await jwksOf(tenant.issuer)).filter((k) => k.alg === 'RS256');
    assert.equal(after.find((k) => k.kid === rotated.kid)!.key_ops, undefined);
    assert.deepEqual(after.find((k) => k.kid === oldKid)!.key_ops, ['verify'], 'the old key verifies its tokens');
    const jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    await jose.jwtVerify(signedBefore, jwks, { issuer: tenant.issuer, audience: config.clientMetadata().client_id });
  });

  it('pre-publishes for an hour by default', async () => {
    const { tenant, idToken } = await setUp();
    const oldKid = jose.decodeProtectedHeader(await idToken()).kid!;
    const rotated = await cliJson<Rotation>(server, ['keys', 'rotate', '--tenant', tenant.slug]);
    assert.equal(Date.parse(rotated.signsFrom) - Date.parse(rotated.publishedAt), 3600_000);
    await jwksWith(tenant.issuer, rotated.kid);
    assert.equal(jose.decodeProtectedHeader(await idToken()).kid, oldKid);
  });

  it('a retired key leaves the JWKS once its unpublishAt has passed; the new key stays', async () => {
    const { tenant, config, idToken } = await setUp();
    const signedByOld = await idToken();
    const oldKid = jose.decodeProtectedHeader(signedByOld).kid!;
    const rotated = await rotate(tenant.slug, 'RS256');
    // The retired key would stay for the tokens' lifetime (an hour and more): its row is moved to a few seconds
    // from now before the server loads the keys again (the rotation only told it to rebuild on next use).
    const unpublishAt = Date.now() + 3000;
    const db = new pg.Client({ connectionString: server.env.DATABASE_URL! });
    await db.connect();
    try {
      const { rowCount } = await db.query('UPDATE signing_keys SET unpublish_at = $2 WHERE kid = $1', [oldKid, new Date(unpublishAt)]);
      assert.equal(rowCount, 1);
    } finally {
      await db.end();
    }
    const during = await jwksWith(tenant.issuer, rotated.kid);
    if (Date.now() < unpublishAt) assert.ok(during.some((k) => k.kid === oldKid), 'published until then');

    const deadline = unpublishAt + propagationDeadlineMs;
    let after = await jwksOf(tenant.issuer);
    while (after.some((k) => k.kid === oldKid)) {
      if (Date.now() > deadline) assert.fail(`${oldKid} was still published ${propagationDeadlineMs} ms after its unpublishAt`);
      await sleep(250);
      after = await jwksOf(tenant.issuer);
    }
    assert.ok(Date.now() >= unpublishAt, 'not before its unpublishAt');
    const rsa = after.filter((k) => k.alg === 'RS256');
    assert.deepEqual(rsa.map((k) => k.kid), [rotated.kid], 'the new key stays, and signs');
    assert.equal(rsa[0]!.key_ops, undefined);
    const jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    await jose.jwtVerify(await idToken(), jwks, { issuer: tenant.issuer, audience: config.clientMetadata().client_id });
    await assert.rejects(jose.jwtVerify(signedByOld, jwks, { issuer: tenant.issuer, audience: config.clientMetadata().client_id }), 'the old key verifies nothing any more');
  });

  it('rotating again while a key is pending replaces the pending key, which signed nothing', async () => {
    const tenant = await createTenant(server);
    const signing = (await jwksOf(tenant.issuer)).find((k) => k.alg === 'RS256')!.kid;
    const first = await cliJson<Rotation>(server, ['keys', 'rotate', '--tenant', tenant.slug]);
    const second = await cliJson<Rotation>(server, ['keys', 'rotate', '--tenant', tenant.slug]);
    assert.deepEqual(second.replaced.map((k) => k.kid), [signing], 'the signing key is the one replaced, not the pending one');
    const rsa = (await jwksWith(tenant.issuer, second.kid)).filter((k) => k.alg === 'RS256');
    assert.deepEqual(rsa.map((k) => k.kid).sort(), [signing, second.kid].sort());
    assert.equal(rsa.some((k) => k.kid === first.kid), false);
  });

  it('an emergency rotation signs with the new key at once, drops the old key from the JWKS and says what that breaks', async () => {
    const { tenant, config, idToken, accessToken } = await setUp({ machine: true });
    const compromised = await idToken();
    const oldKid = jose.decodeProtectedHeader(compromised).kid!;
    const oldAccessToken = await accessToken();
    const rotated = await cliJson<Rotation>(server, ['keys', 'rotate', '--tenant', tenant.slug, '--emergency']);
    assert.equal(rotated.emergency, true);
    assert.equal(rotated.signsFrom, rotated.publishedAt);
    assert.deepEqual(rotated.replaced, [{ kid: oldKid, stopsSigningAt: rotated.publishedAt, unpublishedAt: rotated.publishedAt }]);
    assert.ok(rotated.breaks?.some((line) => line.includes(oldKid) && /no longer verify/.test(line)), JSON.stringify(rotated.breaks));
    assert.ok(rotated.breaks?.some((line) => /resource servers/.test(line)));

    const keys = await jwksWith(tenant.issuer, rotated.kid);
    assert.equal(keys.some((k) => k.kid === oldKid), false, 'the compromised key is gone');
    assert.equal(jose.decodeProtectedHeader(await idToken()).kid, rotated.kid);
    const jwks = jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`));
    await assert.rejects(jose.jwtVerify(compromised, jwks, { issuer: tenant.issuer, audience: config.clientMetadata().client_id }));
    await assert.rejects(jose.jwtVerify(oldAccessToken, jwks, { issuer: tenant.issuer }));
  });

  it('refuses --emergency with --pre-publish, and a period that is not a number of seconds', async () => {
    const tenant = await createTenant(server);
    const both = await server.cli(['keys', 'rotate', '--tenant', tenant.slug, '--emergency', '--pre-publish', '60']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /--emergency/);
    const bad = await server.cli(['keys', 'rotate', '--tenant', tenant.slug, '--pre-publish', 'soon']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--pre-publish/);
  });

  it('refuses an unsupported algorithm (HS256) with exit 1 and leaves the keys alone', async () => {
    const tenant = await createTenant(server);
    const before = await jwksOf(tenant.issuer);
    const result = await server.cli(['keys', 'rotate', '--tenant', tenant.slug, '--alg', 'HS256']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout.trim(), '');
    assert.match(result.stderr, /RS256|ES256|EdDSA|alg/);
    assert.deepEqual((await jwksOf(tenant.issuer)).map((k) => k.kid).sort(), before.map((k) => k.kid).sort());
  });

  it('refuses an unknown tenant with exit 1', async () => {
    const result = await server.cli(['keys', 'rotate', '--tenant', 'no-such-tenant', '--alg', 'RS256']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout.trim(), '');
  });
});
