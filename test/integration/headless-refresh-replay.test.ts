// One token system across the three doors (issue #16 "No second token system"): ONE refresh token family of a
// headless app rotated in turn at the backend OTP API (/auth/refresh), the REST API (/v1/auth/refresh) and the
// tenant's standard token endpoint; a replay at any of them revokes the family everywhere, and the app's reuse
// interval is honoured at each (the strict app sets 0; the default would be 10 s). An Idempotency-Key repeats a
// refresh's answer only for those seconds: it is no way around replay detection later. Also the REST API's built-in client: two concurrent first calls both succeed with one
// client, and its slug `tessera-rest` is reserved.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { createClient as createRedisClient } from '@redis/client';
import { decodeJwt } from 'jose';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { outbox, uniqueEmail } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';

interface App { app_id: string; app_secret: string }
interface Tokens { access_token: string; refresh_token: string }
type Door = 'otp-api' | 'rest' | 'token';

describe('one refresh token family across /auth/refresh, /v1/auth/refresh and the token endpoint', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;

  /** rotates at one door; the status and, on success, the new tokens */
  async function refresh(door: Door, app: App, refreshToken: string, idempotencyKey?: string): Promise<{ status: number; tokens: Tokens | null }> {
    const headers = { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) };
    const response = door === 'otp-api'
      ? await fetch(`${server.url}/auth/refresh`, { method: 'POST', headers, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, refresh_token: refreshToken }) })
      : door === 'rest'
        ? await fetch(`${issuer}/v1/auth/refresh`, { method: 'POST', headers, body: JSON.stringify({ client_id: app.app_id, client_secret: app.app_secret, refresh_token: refreshToken }) })
        : await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app.app_id, client_secret: app.app_secret }) });
    const body = (await response.json()) as Tokens & { error?: string };
    return { status: response.status, tokens: response.status === 200 ? body : null };
  }

  async function rotate(door: Door, app: App, refreshToken: string): Promise<Tokens> {
    const { status, tokens } = await refresh(door, app, refreshToken);
    assert.equal(status, 200, `rotation at ${door}`);
    assert.notEqual(tokens!.refresh_token, refreshToken);
    return tokens!;
  }

  /** a sign-in of `app` through the backend OTP API */
  async function signIn(app: App): Promise<Tokens> {
    const email = uniqueEmail('replay');
    const post = (path: string, body: Record<string, unknown>) => fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, ...body }) });
    const { otp_request_id: id } = (await (await post('send-otp', { email })).json()) as { otp_request_id: string };
    let code: string | null = null;
    for (let i = 0; i < 100 && !code; i++) {
      code = (await outbox(issuer)).find((e) => e.to === email)?.code ?? null;
      if (!code) await new Promise((r) => setTimeout(r, 100));
    }
    const verified = await post('verify-otp', { otp_request_id: id, otp: code });
    assert.equal(verified.status, 200, await verified.clone().text());
    return (await verified.json()) as Tokens;
  }

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { methods: { emailOtp: true } } })]);
  });

  it('the first use at each door rotates; a replay at any door revokes the family at all three', async () => {
    const app = await cliJson<App>(server, ['app', 'create', '--tenant', slug, '--name', 'Strict', '--slug', 'strict-app', '--reuse-interval', '0']);
    const replays: Array<[Door, Door]> = [['otp-api', 'rest'], ['rest', 'token'], ['token', 'otp-api']];
    for (const [rotatedAt, replayedAt] of replays) {
      const t0 = await signIn(app);
      const t1 = await rotate('otp-api', app, t0.refresh_token);
      const t2 = await rotate('rest', app, t1.refresh_token);
      const t3 = await rotate('token', app, t2.refresh_token);
      assert.equal(decodeJwt(t3.access_token).aud, 'strict-app');
      // one more rotation at `rotatedAt`, then the token it consumed is replayed at `replayedAt`
      const t4 = await rotate(rotatedAt, app, t3.refresh_token);
      assert.equal((await refresh(replayedAt, app, t3.refresh_token)).status, 400, `replay at ${replayedAt}`);
      for (const door of ['otp-api', 'rest', 'token'] as const) {
        assert.equal((await refresh(door, app, t4.refresh_token)).status, 400, `the family is revoked at ${door} (rotated at ${rotatedAt}, replayed at ${replayedAt})`);
      }
    }
  });

  it('the app\'s reuse interval is honoured at every door: a repeat inside it gets the same successor, the family lives', async () => {
    const app = await cliJson<App>(server, ['app', 'create', '--tenant', slug, '--name', 'Lenient', '--slug', 'lenient-app', '--reuse-interval', '30']);
    const t0 = await signIn(app);
    const t1 = await rotate('otp-api', app, t0.refresh_token);
    for (const door of ['rest', 'token', 'otp-api'] as const) {
      const repeat = await refresh(door, app, t0.refresh_token);
      assert.equal(repeat.status, 200, `a repeat at ${door} inside the interval`);
      assert.equal(repeat.tokens!.refresh_token, t1.refresh_token);
    }
    const t2 = await rotate('rest', app, t1.refresh_token);
    assert.equal((await refresh('token', app, t2.refresh_token)).status, 200, 'the family lives');
  });

  it('an Idempotency-Key repeats a refresh\'s answer for seconds only: then the same token and key are a replay that ends the family', async () => {
    const app = await cliJson<App>(server, ['app', 'create', '--tenant', slug, '--name', 'Keyed', '--slug', 'keyed-app', '--reuse-interval', '0']);
    const redis = createRedisClient({ url: server.env.REDIS_URL });
    await redis.connect();
    try {
      for (const door of ['otp-api', 'rest'] as const) {
        const t0 = await signIn(app);
        // a key named after the token, as the SDK names it: anyone holding the token can name it too
        const key = `refresh-${randomUUID()}`;
        const first = await refresh(door, app, t0.refresh_token, key);
        assert.equal(first.status, 200, `first refresh at ${door}`);
        const repeat = await refresh(door, app, t0.refresh_token, key);
        assert.equal(repeat.tokens?.refresh_token, first.tokens!.refresh_token, `a repeat at ${door} gets the same answer`);
        const stored = await redis.keys(`${server.env.REDIS_PREFIX}idem:*`);
        assert.ok(stored.length >= 1, 'the answer is kept under its key');
        for (const name of stored) {
          const ttl = await redis.ttl(name);
          assert.ok(ttl > 0 && ttl <= 10, `a refresh's answer is kept ${ttl} s: no longer than the default reuse interval`);
        }
        // once those seconds are over (the record gone), the same token and key reach the token endpoint: a replay
        await redis.del(stored);
        assert.equal((await refresh(door, app, t0.refresh_token, key)).status, 400, `the late repeat at ${door} is a replay`);
        assert.equal((await refresh(door, app, first.tokens!.refresh_token)).status, 400, `the replay ended the family (${door})`);
      }
    } finally {
      await redis.quit();
    }
  });

  it('the built-in REST client: concurrent first calls all succeed with one client; `tessera-rest` cannot be taken by an app', async () => {
    const fresh = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', fresh.slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
    const user = await createUser(server, fresh.slug);
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${fresh.issuer}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) })));
    const bodies = await Promise.all(answers.map(async (r) => [r.status, await r.text()] as const));
    for (const [status, text] of bodies) assert.equal(status, 200, text);
    const clients = new Set(bodies.map(([, text]) => decodeJwt((JSON.parse(text) as Tokens).access_token).client_id));
    assert.equal(clients.size, 1, 'one built-in client');
    const builtIn = [...clients][0] as string;
    const apps = await cliJson<{ items?: Array<{ client_id: string }> } | Array<{ client_id: string }>>(server, ['client', 'list', '--tenant', fresh.slug]);
    const listed = (Array.isArray(apps) ? apps : apps.items ?? []).filter((c) => c.client_id === builtIn);
    assert.equal(listed.length, 1);

    const taken = await server.cli(['app', 'create', '--tenant', fresh.slug, '--name', 'Impostor', '--slug', 'tessera-rest']);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /reserved/);
    const other = await createTenant(server);
    const refused = await server.cli(['app', 'create', '--tenant', other.slug, '--name', 'Impostor', '--slug', 'tessera-rest']);
    assert.notEqual(refused.code, 0, 'reserved before any built-in client exists too');
    assert.match(refused.stderr, /reserved/);
  });
});
