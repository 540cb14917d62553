// `tessera`, the operator's command line, against PostgreSQL: every command answers JSON on stdout with exit 0,
// what it creates really works at the protocol endpoints, and bad input gets a clear message on stderr, nothing
// on stdout and a non-zero exit. Secrets it creates are stored sealed (checked in the database itself).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import pg from 'pg';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { runCli, type CliResult, type TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { cliJson, createClient, createUser, postLogoutRedirectUri, redirectUri, uniqueSlug } from '../support/fixtures.js';
import { authorizationRequest, discover, oidc } from '../support/relying-party.js';
import { Browser, isPage } from '../support/browser.js';

type Client = { client_id: string; client_secret: string | null; token_endpoint_auth_method?: string; grant_types?: string[] };

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** a failed run: nothing on stdout, a message on stderr, no stack trace */
function assertRefused(result: CliResult, exitCode: number, message: RegExp, argv: string[]) {
  const label = `tessera ${argv.join(' ')}`;
  assert.equal(result.code, exitCode, `${label}: exit ${result.code}, stderr: ${result.stderr}`);
  assert.equal(result.stdout, '', `${label} printed on stdout`);
  assert.match(result.stderr, message, `${label}: stderr was ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, `${label}: stack trace on stderr`);
}

/**
 * Runs `tasks` two at a time and hands back each one's promise. Each task is a CLI process (about a second of
 * CPU): two at once use both cores of a small CI machine, more only queue for them.
 */
function twoAtATime<T>(tasks: (() => Promise<T>)[]): Promise<T>[] {
  const settle = tasks.map(() => {
    const deferred = {} as { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void };
    deferred.promise = new Promise<T>((resolve, reject) => Object.assign(deferred, { resolve, reject }));
    return deferred;
  });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tasks.length; i = next++) await tasks[i]!().then(settle[i]!.resolve, settle[i]!.reject);
  };
  void worker();
  void worker();
  // a failure is reported by the test that awaits it, never as an unhandled rejection
  for (const { promise } of settle) promise.catch(() => undefined);
  return settle.map((s) => s.promise);
}

describe('tessera CLI (PostgreSQL)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let tenant: { slug: string; name: string; issuer: string };
  let user: Awaited<ReturnType<typeof createUser>>;
  /** one client per option under test, created by the CLI in `before`; each test awaits the one it needs */
  let clients: Record<'firstParty' | 'public' | 'none' | 'post' | 'basic' | 'privateKeyJwt' | 'reuse', Promise<Client>>;
  let rpKey: CryptoKey;
  /** for checks of what is stored, never to set anything up */
  let database: pg.Client;
  const secretsSeen: string[] = [];

  before(async () => {
    services = await createTestServices();
    // the server in this process (it is not what is under test); every `tessera` command a process of its own
    server = await startServer(services.env, { spawnCli: true });
    database = new pg.Client({ connectionString: services.databaseUrl });
    await database.connect();
    tenant = await cliJson(server, ['tenant', 'create', uniqueSlug('cli'), '--name', 'Acme Corp']);
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    rpKey = privateKey;
    const rpJwks = JSON.stringify({ keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' }] });
    const email = `Ada.${randomBytes(3).toString('hex')}@Example.COM`;
    const client = (flags: string[]) => async () => {
      const created = await createClient(server, tenant.slug, flags) as Client;
      if (created.client_secret) secretsSeen.push(created.client_secret);
      return created;
    };
    const [userCreated, ...created] = twoAtATime<unknown>([
      () => createUser(server, tenant.slug, { email, name: 'Ada Lovelace' }),
      client(['--first-party']),
      client(['--public', '--scope', 'openid email']),
      client(['--auth-method', 'none']),
      client(['--grant', 'client_credentials', '--auth-method', 'client_secret_post']),
      client(['--grant', 'client_credentials', '--auth-method', 'client_secret_basic']),
      client(['--grant', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks', rpJwks]),
      client(['--first-party', '--refresh-token-reuse-interval', '60']),
    ]);
    const [firstParty, publicClient, none, post, basic, privateKeyJwt, reuse] = created as Promise<Client>[];
    clients = { firstParty: firstParty!, public: publicClient!, none: none!, post: post!, basic: basic!, privateKeyJwt: privateKeyJwt!, reuse: reuse! };
    user = await (userCreated as Promise<typeof user>);
    secretsSeen.push(user.password);
  });
  after(async () => {
    await database?.end();
    await server?.stop();
    await services?.drop();
  });

  /** signs in through the hosted pages; reports whether a consent page was shown on the way */
  async function signIn(start: URL, options: { consent?: boolean } = {}) {
    const browser = new Browser();
    const atCallback = (location: URL) => location.href.startsWith(redirectUri);
    const login = await browser.navigate(start, atCallback);
    assert.ok(isPage(login) && login.html.includes('/login"'), 'the login page');
    let step = await browser.submit(login, '/login', { email: user.email, password: user.password }, atCallback);
    let sawConsent = false;
    if (isPage(step) && step.html.includes('/confirm"')) {
      sawConsent = true;
      if (options.consent === false) return { callback: null, sawConsent };
      step = await browser.submit(step, '/confirm', {}, atCallback);
    }
    assert.ok(!isPage(step), `did not reach the callback: ${isPage(step) ? step.html.slice(0, 300) : ''}`);
    return { callback: step, sawConsent };
  }

  async function codeFlow(config: oidc.Configuration, params: Record<string, string> = {}) {
    const request = await authorizationRequest(config, redirectUri, params);
    const { callback, sawConsent } = await signIn(request.url);
    const tokens = await oidc.authorizationCodeGrant(config, callback!, {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    });
    return { tokens, sawConsent };
  }

  async function oauthError(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(() => assert.fail('expected an OAuth error'), (e: unknown) => e);
    assert.ok(error instanceof oidc.ResponseBodyError, `expected an error response, got ${String(error)}`);
    return error.error;
  }

  describe('good input: JSON on stdout, exit 0, and it works', () => {
    it('tenant create → {slug, issuer}: the issuer serves discovery at once', async () => {
      assert.equal(tenant.issuer, server.issuer(tenant.slug));
      assert.equal(tenant.name, 'Acme Corp');
      const discovery = await fetch(`${tenant.issuer}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200);
      assert.equal(((await discovery.json()) as { issuer: string }).issuer, tenant.issuer);
      const result = await server.cli(['tenant', 'list']);
      assert.equal(result.code, 0, result.stderr);
      assert.ok((result.json as { slug: string; issuer: string }[]).some((t) => t.slug === tenant.slug && t.issuer === tenant.issuer));
    });

    it('user create → {id, email} with the email normalised; that user signs in', async () => {
      assert.match(user.id, uuid);
      assert.equal(user.email, user.email.toLowerCase());
      const client = await clients.firstParty;
      const { tokens } = await codeFlow(await discover(tenant.issuer, client.client_id, client.client_secret!));
      assert.equal(tokens.claims()!.sub, user.id);
    });

    it('client create (confidential, first-party, post-logout URI): basic auth, no consent page, logout target registered', async () => {
      const client = await clients.firstParty;
      assert.equal(typeof client.client_secret, 'string');
      assert.ok(client.client_secret!.length >= 32);
      assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
      const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
      const { tokens, sawConsent } = await codeFlow(config);
      assert.equal(sawConsent, false, 'a first-party client skips consent');
      assert.ok(tokens.access_token);

      const endSession = (uri: string) => fetch(`${tenant.issuer}/session/end?${new URLSearchParams({ client_id: client.client_id, post_logout_redirect_uri: uri })}`, { headers: { accept: 'text/html' } });
      assert.equal((await endSession(postLogoutRedirectUri)).status, 200, 'the registered post-logout URI is accepted');
      assert.equal((await endSession('http://127.0.0.1:9/elsewhere')).status, 400, 'another one is refused');

      // only the grants it has: a code client cannot use client_credentials
      assert.equal(await oauthError(oidc.clientCredentialsGrant(config)), 'unauthorized_client');
    });

    it('client create --public / --auth-method none, --scope: no secret, PKCE enforced, consent asked, scopes limited to --scope', async () => {
      const client = await clients.public;
      assert.equal(client.client_secret, null);
      assert.equal(client.token_endpoint_auth_method, 'none');
      const config = await discover(tenant.issuer, client.client_id);
      const { tokens, sawConsent } = await codeFlow(config, { scope: 'openid email' });
      assert.equal(sawConsent, true, 'a third-party client asks for consent');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
      assert.equal(info.email, user.email);

      const authorize = async (params: Record<string, string>) => {
        const url = new URL(`${tenant.issuer}/auth`);
        url.search = new URLSearchParams({ client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code', state: 's', ...params }).toString();
        const response = await fetch(url, { redirect: 'manual' });
        assert.equal(response.status, 303);
        return new URL(response.headers.get('location')!);
      };
      const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
      const noPkce = await authorize({ scope: 'openid email' });
      assert.equal(noPkce.searchParams.get('error'), 'invalid_request', 'a public client must use PKCE');
      const widerScope = await authorize({ scope: 'openid profile', code_challenge: challenge, code_challenge_method: 'S256' });
      assert.equal(widerScope.searchParams.get('error'), 'invalid_scope', 'profile is outside --scope');

      // --auth-method none is the same as --public
      const none = await clients.none;
      assert.equal(none.client_secret, null);
      assert.equal(none.token_endpoint_auth_method, 'none');
      const url = new URL(`${tenant.issuer}/auth`);
      url.search = new URLSearchParams({ client_id: none.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's' }).toString();
      const noPkceNone = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
      assert.equal(noPkceNone.searchParams.get('error'), 'invalid_request', 'PKCE is enforced for it too');
    });

    // oidc-provider accepts either secret method from a client registered for one of them (lib/shared/client_auth.js)
    it('client create --auth-method client_secret_post --grant client_credentials: authenticates with post', async () => {
      const client = await clients.post;
      assert.deepEqual(client.grant_types, ['client_credentials']);
      assert.equal(client.token_endpoint_auth_method, 'client_secret_post');
      const post = await discover(tenant.issuer, client.client_id, client.client_secret!, oidc.ClientSecretPost(client.client_secret!));
      const tokens = await oidc.clientCredentialsGrant(post);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      const { payload } = await jose.jwtVerify(tokens.access_token, jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`)), { issuer: tenant.issuer });
      assert.equal(payload.client_id, client.client_id);

      const wrong = await discover(tenant.issuer, client.client_id, 'wrong', oidc.ClientSecretPost('wrong'));
      assert.equal(await oauthError(oidc.clientCredentialsGrant(wrong)), 'invalid_client');
    });

    it('client create --auth-method client_secret_basic --grant client_credentials: authenticates with basic', async () => {
      const client = await clients.basic;
      assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
      const tokens = await oidc.clientCredentialsGrant(await discover(tenant.issuer, client.client_id, client.client_secret!));
      assert.ok(tokens.access_token);
      assert.equal(tokens.refresh_token, undefined);
    });

    it('client create --auth-method private_key_jwt --jwks: no secret; a client assertion signed with its key authenticates', async () => {
      const client = await clients.privateKeyJwt;
      assert.equal(client.client_secret, null);
      assert.equal(client.token_endpoint_auth_method, 'private_key_jwt');
      const config = await discover(tenant.issuer, client.client_id, undefined, oidc.PrivateKeyJwt({ key: rpKey, kid: 'rp-key-1' }));
      const tokens = await oidc.clientCredentialsGrant(config);
      assert.ok(tokens.access_token);

      const other = await jose.generateKeyPair('ES256');
      const impostor = await discover(tenant.issuer, client.client_id, undefined, oidc.PrivateKeyJwt({ key: other.privateKey, kid: 'rp-key-1' }));
      assert.equal(await oauthError(oidc.clientCredentialsGrant(impostor)), 'invalid_client');
    });

    it('client create --refresh-token-reuse-interval: a replay inside the interval gets the same successor', async () => {
      const client = await clients.reuse;
      const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
      const { tokens } = await codeFlow(config, { scope: 'openid offline_access', prompt: 'consent' });
      assert.ok(tokens.refresh_token);
      const first = await oidc.refreshTokenGrant(config, tokens.refresh_token);
      const replay = await oidc.refreshTokenGrant(config, tokens.refresh_token);
      assert.equal(replay.refresh_token, first.refresh_token);
      assert.equal(replay.access_token, first.access_token);
    });

    it('keys rotate → the new kid; JWKS publishes it next to the old key, and new tokens use it', async () => {
      const client = await clients.basic;
      const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
      const before = await oidc.clientCredentialsGrant(config);
      const oldKid = jose.decodeProtectedHeader(before.access_token).kid;

      const rotated = await cliJson<{ kid: string; alg: string }>(server, ['keys', 'rotate', '--tenant', tenant.slug, '--pre-publish', '0']);
      assert.equal(rotated.alg, 'RS256');
      assert.equal(typeof rotated.kid, 'string');
      assert.notEqual(rotated.kid, oldKid);
      const jwks = (await (await fetch(`${tenant.issuer}/jwks`)).json()) as { keys: jose.JWK[] };
      const kids = jwks.keys.map((k) => k.kid);
      assert.ok(kids.includes(rotated.kid), 'the new key is published');
      assert.ok(kids.includes(oldKid), 'the old key stays published');
      const after = await oidc.clientCredentialsGrant(config);
      assert.equal(jose.decodeProtectedHeader(after.access_token).kid, rotated.kid);
      const keySet = jose.createLocalJWKSet(jwks);
      await jose.jwtVerify(before.access_token, keySet, { issuer: tenant.issuer });
      await jose.jwtVerify(after.access_token, keySet, { issuer: tenant.issuer });

      const ec = await cliJson<{ kid: string; alg: string }>(server, ['keys', 'rotate', '--tenant', tenant.slug, '--alg', 'ES256']);
      assert.equal(ec.alg, 'ES256');
      const published = (await (await fetch(`${tenant.issuer}/jwks`)).json()) as { keys: jose.JWK[] };
      assert.equal(published.keys.find((k) => k.kid === ec.kid)?.crv, 'P-256');
      for (const key of published.keys) {
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[member as keyof jose.JWK], undefined, `JWKS leaks ${member}`);
      }
    });
  });

  describe('bad input: a message on stderr, nothing on stdout, non-zero exit', () => {
    const strong = `Str0ng-${randomBytes(6).toString('hex')}`;
    /** each refusal leaves no trace: `none` counts rows that must not exist afterwards */
    const cases: { title: string; argv: () => string[]; code: number; message: RegExp; none?: () => [string, unknown[]] }[] = [
      { title: 'no command', argv: () => [], code: 2, message: /Usage: tessera/ },
      { title: 'unknown command', argv: () => ['tenant', 'destroy', 'x'], code: 2, message: /unknown command "tenant destroy"/ },
      { title: 'unknown flag', argv: () => ['tenant', 'create', uniqueSlug(), '--colour', 'red'], code: 2, message: /--colour/ },
      { title: 'missing --tenant', argv: () => ['user', 'create', '--email', 'x@example.com', '--password', strong], code: 2, message: /--tenant is required/ },
      { title: 'unknown tenant', argv: () => ['user', 'create', '--tenant', 'no-such-tenant', '--email', 'x@example.com', '--password', strong], code: 1, message: /no-such-tenant/ },
      { title: 'bad slug', argv: () => ['tenant', 'create', 'Bad_Slug'], code: 1, message: /slug is 2 to 40 lower-case letters/ },
      { title: 'duplicate slug', argv: () => ['tenant', 'create', tenant.slug], code: 1, message: /already exists/ },
      { title: 'reserved slug', argv: () => ['tenant', 'create', 'admin'], code: 1, message: /reserved/, none: () => ["SELECT 1 FROM tenants WHERE slug = 'admin'", []] },
      { title: 'duplicate email (any case)', argv: () => ['user', 'create', '--tenant', tenant.slug, '--email', user.email.toUpperCase(), '--password', strong], code: 1, message: /already exists/, none: () => ['SELECT 1 FROM users WHERE lower(email) = lower($1) OFFSET 1', [user.email]] },
      { title: 'common password', argv: () => ['user', 'create', '--tenant', tenant.slug, '--email', 'common@example.com', '--password', 'password1'], code: 1, message: /commonly used/, none: () => ["SELECT 1 FROM users WHERE email = 'common@example.com'", []] },
      { title: 'password = email', argv: () => ['user', 'create', '--tenant', tenant.slug, '--email', 'wordsmith@example.com', '--password', 'wordsmith@example.com'], code: 1, message: /can.t be your email/ },
      { title: 'short password', argv: () => ['user', 'create', '--tenant', tenant.slug, '--email', 'short@example.com', '--password', 'Zq7!mK2'], code: 1, message: /at least 8 characters/ },
      { title: 'bad email', argv: () => ['user', 'create', '--tenant', tenant.slug, '--email', 'not-an-email', '--password', strong], code: 1, message: /not a valid email/ },
      { title: 'invalid redirect URI', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--redirect-uri', 'not a uri'], code: 1, message: /redirect_uris/ },
      { title: 'redirect URI with fragment', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--redirect-uri', 'https://app.example.com/cb#x'], code: 1, message: /fragment/ },
      { title: 'unknown grant', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--grant', 'password'], code: 1, message: /Unknown grant "password"/, none: () => ["SELECT 1 FROM clients WHERE name = 'X'", []] },
      { title: 'public + client_credentials', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--public', '--grant', 'client_credentials'], code: 1, message: /client_credentials/ },
      { title: 'unknown auth method', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--auth-method', 'tls_client_certificate'], code: 1, message: /Unknown auth method/ },
      // known to Tessera, but the tenant has not turned the profile on (protocol settings)
      { title: 'implicit grant on a code-only tenant', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--grant', 'implicit'], code: 1, message: /grant_types/, none: () => ["SELECT 1 FROM clients WHERE name = 'X'", []] },
      { title: 'mTLS auth on a tenant without mTLS', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--auth-method', 'tls_client_auth'], code: 1, message: /token_endpoint_auth_method/ },
      { title: 'private_key_jwt without keys', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--grant', 'client_credentials', '--auth-method', 'private_key_jwt'], code: 1, message: /--jwks/ },
      { title: 'reuse interval out of range', argv: () => ['client', 'create', '--tenant', tenant.slug, '--name', 'X', '--redirect-uri', redirectUri, '--refresh-token-reuse-interval', '301'], code: 1, message: /refresh_token_reuse_interval/, none: () => ["SELECT 1 FROM clients WHERE name = 'X'", []] },
      { title: '--alg HS256', argv: () => ['keys', 'rotate', '--tenant', tenant.slug, '--alg', 'HS256'], code: 1, message: /RS256, ES256 and EdDSA/ },
    ];
    let runs: Map<string, Promise<{ args: string[]; result: CliResult }>>;
    before(() => {
      const started = twoAtATime(cases.map((c) => async () => {
        const args = c.argv();
        return { args, result: await server.cli(args) };
      }));
      runs = new Map(cases.map((c, i) => [c.title, started[i]!]));
    });

    for (const { title, code, message, none } of cases) {
      it(title, async () => {
        const { args, result } = await runs.get(title)!;
        assertRefused(result, code, message, args);
        assert.ok(!result.stderr.includes(strong), 'the password is not echoed');
        if (none) {
          const [sql, params] = none();
          assert.equal((await database.query(sql, params)).rowCount, 0, `${title} left a row behind`);
        }
      });
    }

    it('--help prints the usage on stdout with exit 0', async () => {
      const result = await server.cli(['--help']);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /tenant create <slug>/);
    });

    it('refuses to run without its secrets, naming what is missing', async () => {
      const env = { ...server.env, KEY_ENCRYPTION_KEY: 'too-short', NODE_ENV: 'production' };
      const result = await runCli(['tenant', 'list'], env);
      assertRefused(result, 1, /KEY_ENCRYPTION_KEY/, ['tenant', 'list']);
    });
  });

  describe('db migrate (npm run db:migrate)', () => {
    it('applies pending migrations to a new database, which other commands refuse until then', async () => {
      const fresh = await createTestServices({ unmigrated: true });
      try {
        const env = { ...server.env, ...fresh.env, MIGRATE_ON_START: 'false' };
        assertRefused(await runCli(['tenant', 'list'], env), 1, /pending migration.*db:migrate/, ['tenant', 'list']);
        const migrated = await runCli(['db', 'migrate'], env);
        assert.equal(migrated.code, 0, migrated.stderr);
        const { applied } = migrated.json as { applied: string[] };
        assert.ok(applied.length >= 1 && applied.every((name) => /^\d{14}_\w+$/.test(name)), JSON.stringify(applied));
      } finally {
        await fresh.drop();
      }
      assert.deepEqual(await cliJson(server, ['db', 'migrate']), { applied: [] }, 'an up-to-date database needs nothing');
    });
  });

  describe('storage', () => {
    it('keeps client secrets and signing keys sealed; no secret is logged', async () => {
      const client = await clients.post;
      const secret = client.client_secret!;
      await oidc.clientCredentialsGrant(await discover(tenant.issuer, client.client_id, secret, oidc.ClientSecretPost(secret)));

      const db = database;
      {
        const { rows: [row] } = await db.query<{ sealed_secret: string; metadata: unknown }>('SELECT sealed_secret, metadata FROM clients WHERE client_id = $1', [client.client_id]);
        assert.ok(row, 'the client row exists');
        assert.match(row.sealed_secret, /^v1\./, 'sealed');
        assert.ok(!row.sealed_secret.includes(secret));
        assert.ok(!JSON.stringify(row.metadata).includes(secret), 'metadata holds no secret');
        assert.ok(!JSON.stringify(row.metadata).includes('client_secret"'));

        const keys = await db.query<{ kid: string; sealed_jwk: string }>('SELECT kid, sealed_jwk FROM signing_keys');
        assert.ok(keys.rows.length >= 3, 'keys exist');
        for (const key of keys.rows) {
          assert.match(key.sealed_jwk, /^v1\.[^.]+\.[^.]+\.[^.]+\.[^.]+$/);
          // quotes and braces never occur in base64url, so any JSON here would be plain text (bare words like
          // "RSA" can occur in random ciphertext, so they prove nothing)
          assert.doesNotMatch(key.sealed_jwk, /["{}:]/, `key ${key.kid} is not sealed`);
          assert.doesNotMatch(Buffer.from(key.sealed_jwk.split('.')[3]!, 'base64url').toString('latin1'), /"kty"/);
        }

        // every stored value of every table, as text: no client secret or password anywhere
        const tables = ['tenants', 'clients', 'users', 'signing_keys', 'oidc_models'];
        const dump = (await Promise.all(tables.map(async (t) => JSON.stringify((await db.query(`SELECT * FROM ${t}`)).rows)))).join('\n');
        for (const value of secretsSeen) assert.ok(!dump.includes(value), 'a secret or password is stored in clear');
      }
      const log = server.output();
      for (const value of secretsSeen) assert.ok(!log.includes(value), 'a secret or password appears in the server log');
    });
  });
});
