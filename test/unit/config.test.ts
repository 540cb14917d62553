// Configuration: one pure loadConfig(env) that reports every problem at once and applies the production rules;
// .env.example documents exactly the keys it reads; development secrets are generated once and kept.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, configKeys, loadConfig } from '../../src/config/config.js';
import { readDotEnv, withDevelopmentSecrets } from '../../src/config/environment.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const secret = () => randomBytes(32).toString('base64url');
const secrets = () => ({ KEY_ENCRYPTION_KEY: secret(), COOKIE_SECRETS: secret() });
const production = () => ({ NODE_ENV: 'production', PUBLIC_URL: 'https://id.example.com', ...secrets() });

/** the problems loadConfig reports for `env` (fails the test when it accepts it) */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const problem of error.problems) assert.ok(error.message.includes(problem), 'the message lists every problem');
    return [...error.problems];
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** the keys named by `problems` ("KEY: why"), sorted */
const keysOf = (problems: string[]) => [...new Set(problems.map((p) => p.split(':')[0]))].sort();

const temporary: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
  temporary.push(dir);
  return dir;
}
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('reports every problem at once: malformed values and the rules they break, together', () => {
    const kek = 'short-but-secret-kek';
    const cookie = 'tiny-cookie-secret';
    const problems = problemsOf({
      NODE_ENV: 'production',
      PORT: 'eighty',
      PUBLIC_URL: 'http://id.example.com',
      DATABASE_URL: 'mysql://db.example.com/tessera',
      REDIS_URL: 'memcached://cache',
      KEY_ENCRYPTION_KEY: kek,
      COOKIE_SECRETS: cookie,
      ARGON2_MEMORY_KIB: '4',
      LOG_LEVEL: 'loud',
      SEED_DEMO: 'true',
      TRUST_PROXY: 'maybe',
    });
    assert.deepEqual(keysOf(problems), ['ARGON2_MEMORY_KIB', 'COOKIE_SECRETS', 'DATABASE_URL', 'KEY_ENCRYPTION_KEY', 'LOG_LEVEL', 'PORT', 'PUBLIC_URL', 'REDIS_URL', 'SEED_DEMO', 'TRUST_PROXY']);
    for (const problem of problems) {
      assert.ok(!problem.includes(kek) && !problem.includes(cookie), `a problem echoes a secret: ${problem}`);
    }
  });

  it('needs the two secrets (development generates them before loadConfig sees the environment)', () => {
    const problems = problemsOf({});
    assert.deepEqual(keysOf(problems), ['COOKIE_SECRETS', 'KEY_ENCRYPTION_KEY']);
    assert.deepEqual(keysOf(problemsOf({ KEY_ENCRYPTION_KEY: secret(), COOKIE_SECRETS: ' , ' })), ['COOKIE_SECRETS']);
  });

  it('refuses a short key-encryption secret in every mode', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      const env = { ...production(), NODE_ENV, KEY_ENCRYPTION_KEY: 'x'.repeat(31) };
      assert.deepEqual(keysOf(problemsOf(env)), ['KEY_ENCRYPTION_KEY'], NODE_ENV);
    }
  });

  it('applies the production rules: https issuer, secrets set, long cookie secrets, no demo data', () => {
    assert.equal(loadConfig(production()).env, 'production');
    assert.deepEqual(keysOf(problemsOf({ ...production(), PUBLIC_URL: 'http://id.example.com' })), ['PUBLIC_URL']);
    assert.deepEqual(keysOf(problemsOf({ ...production(), PUBLIC_URL: undefined })), ['PUBLIC_URL'], 'the default http://localhost issuer is not for production');
    assert.deepEqual(keysOf(problemsOf({ NODE_ENV: 'production', PUBLIC_URL: 'https://id.example.com' })), ['COOKIE_SECRETS', 'KEY_ENCRYPTION_KEY']);
    assert.deepEqual(keysOf(problemsOf({ ...production(), COOKIE_SECRETS: `${secret()},too-short-old-secret` })), ['COOKIE_SECRETS']);
    assert.deepEqual(keysOf(problemsOf({ ...production(), SEED_DEMO: 'true' })), ['SEED_DEMO']);
    assert.equal(loadConfig({ ...production(), SEED_DEMO: 'false' }).seedDemo, false);
    // argon2id below OWASP's floor: too little memory, or too little memory × passes
    assert.deepEqual(keysOf(problemsOf({ ...production(), ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '10' })), ['ARGON2_MEMORY_KIB']);
    assert.deepEqual(keysOf(problemsOf({ ...production(), ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '1' })), ['ARGON2_TIME_COST']);
    assert.deepEqual(loadConfig({ ...production(), ARGON2_MEMORY_KIB: '7168', ARGON2_TIME_COST: '5' }).passwordHashCost, { memoryKiB: 7168, timeCost: 5 });
    assert.deepEqual(loadConfig({ ...secrets(), NODE_ENV: 'test', ARGON2_MEMORY_KIB: '256', ARGON2_TIME_COST: '1' }).passwordHashCost, { memoryKiB: 256, timeCost: 1 }, 'tests may run cheap');
    assert.deepEqual(keysOf(problemsOf({ ...production(), HOME_REDIRECT_URL: 'http://www.example.com/' })), ['HOME_REDIRECT_URL']);
    assert.deepEqual(keysOf(problemsOf({ ...production(), HOME_REDIRECT_URL: 'javascript:alert(1)' })), ['HOME_REDIRECT_URL']);
    // the same values pass outside production
    const development = { ...secrets(), PUBLIC_URL: 'http://localhost:3000', COOKIE_SECRETS: 'short', SEED_DEMO: 'true' };
    assert.equal(loadConfig(development).seedDemo, true);
    assert.equal(loadConfig({ ...development, NODE_ENV: 'test' }).env, 'test');
  });

  it('wants PUBLIC_URL to be an http(s) origin', () => {
    for (const PUBLIC_URL of ['https://id.example.com/auth', 'https://id.example.com/?x=1', 'https://id.example.com/#top', 'ftp://id.example.com', 'id.example.com']) {
      assert.deepEqual(keysOf(problemsOf({ ...secrets(), PUBLIC_URL })), ['PUBLIC_URL'], PUBLIC_URL);
    }
    assert.equal(loadConfig({ ...secrets(), PUBLIC_URL: 'https://id.example.com:8443/' }).publicUrl.origin, 'https://id.example.com:8443');
  });

  it('has development defaults that need no setup', () => {
    const env = secrets();
    const config = loadConfig(env);
    assert.equal(config.env, 'development');
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1', 'development listens on loopback only unless HOST is set');
    assert.equal(loadConfig({ ...env, HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(loadConfig({ ...env, NODE_ENV: 'test' }).host, '127.0.0.1');
    assert.equal(loadConfig(production()).host, undefined, 'production keeps every interface');
    assert.equal(config.publicUrl.href, 'http://localhost:3000/');
    assert.equal(config.dataDir, resolve('data'));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.redisPrefix, 'tessera:');
    assert.deepEqual(config.keyEncryptionKeys, [env.KEY_ENCRYPTION_KEY]);
    assert.deepEqual(config.cookieSecrets, [env.COOKIE_SECRETS]);
    assert.deepEqual(config.passwordHashCost, { memoryKiB: 19456, timeCost: 2 }, 'OWASP\'s argon2id parameters');
    assert.equal(config.passwordHashThreads, availableParallelism());
    assert.equal(config.migrateOnStart, true);
    assert.equal(config.seedDemo, true);
    assert.equal(config.trustProxy.kind, 'none');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.providerCacheSize, 100);
    assert.equal(loadConfig({ ...env, PORT: '4100' }).publicUrl.href, 'http://localhost:4100/', 'the default issuer follows PORT');
  });

  it('defaults by mode: tests are quiet without demo data; production migrates at start only on the embedded database', () => {
    const test = loadConfig({ ...secrets(), NODE_ENV: 'test' });
    assert.equal(test.seedDemo, false);
    assert.equal(test.logLevel, 'warn');
    assert.equal(loadConfig({ ...production(), DATABASE_URL: 'postgresql://db/tessera' }).migrateOnStart, false);
    assert.equal(loadConfig({ ...production(), DATABASE_URL: 'postgresql://db/tessera', MIGRATE_ON_START: 'true' }).migrateOnStart, true);
    assert.equal(loadConfig(production()).migrateOnStart, true);
    assert.equal(loadConfig({ ...secrets(), DATABASE_URL: 'postgres://db/tessera' }).migrateOnStart, true);
    assert.equal(loadConfig({ ...secrets(), MIGRATE_ON_START: 'false' }).migrateOnStart, false);
  });

  it('reads every key', () => {
    const kek = secret();
    const oldKek = secret();
    const config = loadConfig({
      NODE_ENV: 'test', PORT: '8080', HOST: '127.0.0.1', PUBLIC_URL: 'https://id.example.com', DATA_DIR: '/var/lib/tessera',
      DATABASE_URL: 'postgresql://u:p@db:5432/tessera', REDIS_URL: 'rediss://cache:6380', REDIS_PREFIX: 'acme:',
      KEY_ENCRYPTION_KEY: kek, KEY_ENCRYPTION_KEYS_OLD: ` ${oldKek} ,`, COOKIE_SECRETS: 'new-secret, old-secret,,',
      ARGON2_MEMORY_KIB: '47104', ARGON2_TIME_COST: '1', PASSWORD_HASH_THREADS: '3', MIGRATE_ON_START: 'no', SEED_DEMO: '0', TRUST_PROXY: 'yes',
      LOG_LEVEL: 'debug', PROVIDER_CACHE_SIZE: '7', SMTP_URL: 'smtp://mailer:pw@mail.example.com:587', EMAIL_FROM: 'Acme <no-reply@acme.test>',
      OUTBOUND_POLICY: 'public-https', METRICS_PORT: '9100', METRICS_HOST: '10.0.0.5',
      HOME_REDIRECT_URL: 'https://www.example.com/', TESSERA_ENV: 'development', PRODUCTION: 'false', TESSERA_DEV_TENANT: 'acme', TESSERA_DEV_SECRET: kek,
      AUDIT_RETENTION_DAYS: '365', AUDIT_EXPORT_DIR: '/var/lib/tessera/audit',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_SERVICE_NAME: 'tessera-eu',
    });
    assert.deepEqual({ ...config, publicUrl: config.publicUrl.href, keyEncryptionKeys: [...config.keyEncryptionKeys], cookieSecrets: [...config.cookieSecrets] }, {
      env: 'test', port: 8080, host: '127.0.0.1', publicUrl: 'https://id.example.com/', dataDir: '/var/lib/tessera',
      databaseUrl: 'postgresql://u:p@db:5432/tessera', redisUrl: 'rediss://cache:6380', redisPrefix: 'acme:',
      keyEncryptionKeys: [kek, oldKek], cookieSecrets: ['new-secret', 'old-secret'],
      passwordHashCost: { memoryKiB: 47104, timeCost: 1 }, passwordHashThreads: 3, migrateOnStart: false, seedDemo: false, trustProxy: { kind: 'hops', hops: 1 }, mtls: undefined,
      logLevel: 'debug', providerCacheSize: 7, smtpUrl: 'smtp://mailer:pw@mail.example.com:587', emailFrom: 'Acme <no-reply@acme.test>',
      outboundPolicy: 'public-https', metricsPort: 9100, metricsHost: '10.0.0.5',
      homeRedirectUrl: 'https://www.example.com/', developmentToken: { state: 'on', tenant: 'acme', secret: kek }, productionMarker: null, auditRetention: { days: 365, exportDir: '/var/lib/tessera/audit' },
      otlpTracesUrl: 'http://collector:4318/v1/traces', otelServiceName: 'tessera-eu',
    });
  });

  it('development token: both keys or neither, never the system tenant, blocked by any production signal', () => {
    const dev = { ...secrets(), NODE_ENV: 'test', TESSERA_ENV: 'development' };
    assert.throws(() => loadConfig({ ...dev, TESSERA_DEV_TENANT: 'acme' }), /TESSERA_DEV_TENANT: needs TESSERA_DEV_SECRET/);
    assert.throws(() => loadConfig({ ...dev, TESSERA_DEV_TENANT: 'system', TESSERA_DEV_SECRET: secret() }), /system tenant/);
    assert.throws(() => loadConfig({ ...dev, TESSERA_DEV_TENANT: 'acme', TESSERA_DEV_SECRET: 'short' }), /TESSERA_DEV_SECRET: must be at least 32/);
    assert.deepEqual(loadConfig(dev).developmentToken, { state: 'off' });
    const both = { TESSERA_DEV_TENANT: 'acme', TESSERA_DEV_SECRET: secret() };
    assert.deepEqual(loadConfig({ ...dev, ...both, K_SERVICE: 'svc' }).developmentToken, { state: 'blocked', blockedBy: 'K_SERVICE is set (Cloud Run)' });
    assert.equal(loadConfig({ ...secrets(), ...both, NODE_ENV: 'development', PRODUCTION: '1' }).developmentToken.state, 'blocked');
    assert.equal(loadConfig({ ...secrets(), ...both, NODE_ENV: 'development', PRODUCTION: 'false' }).developmentToken.state, 'on');
    assert.equal(loadConfig({ ...secrets(), ...both }).developmentToken.state, 'blocked', 'NODE_ENV left unset declares nothing');
    assert.equal(loadConfig({ ...production(), ...both, TESSERA_ENV: 'development' }).developmentToken.state, 'blocked');
  });

  it('OTEL_EXPORTER_OTLP_*: tracing off by default; the traces endpoint is used as given', () => {
    assert.equal(loadConfig(secrets()).otlpTracesUrl, undefined);
    assert.equal(loadConfig({ ...secrets(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/custom' }).otlpTracesUrl, 'http://t:4318/custom');
  });

  it('AUDIT_RETENTION_DAYS: off by default, and never without AUDIT_EXPORT_DIR (nothing is pruned unexported)', () => {
    assert.equal(loadConfig(secrets()).auditRetention, undefined);
    assert.throws(() => loadConfig({ ...secrets(), AUDIT_RETENTION_DAYS: '30' }), /AUDIT_EXPORT_DIR: required with AUDIT_RETENTION_DAYS/);
    assert.throws(() => loadConfig({ ...secrets(), AUDIT_RETENTION_DAYS: '0', AUDIT_EXPORT_DIR: '/tmp' }), /AUDIT_RETENTION_DAYS/);
  });

  it('METRICS_PORT: 9464 on loopback by default, off in tests, and 0 turns it off', () => {
    assert.equal(loadConfig(secrets()).metricsPort, 9464);
    assert.equal(loadConfig(secrets()).metricsHost, '127.0.0.1');
    assert.equal(loadConfig({ ...secrets(), NODE_ENV: 'test' }).metricsPort, null);
    assert.equal(loadConfig({ ...secrets(), NODE_ENV: 'test', METRICS_PORT: '9464' }).metricsPort, 9464);
    assert.equal(loadConfig({ ...secrets(), METRICS_PORT: '0' }).metricsPort, null);
    assert.throws(() => loadConfig({ ...secrets(), METRICS_PORT: '70000' }), /METRICS_PORT/);
  });

  it('OUTBOUND_POLICY: public-https in production, whatever is asked; allow-private by default elsewhere', () => {
    assert.equal(loadConfig(secrets()).outboundPolicy, 'allow-private');
    assert.equal(loadConfig(production()).outboundPolicy, 'public-https');
    assert.throws(() => loadConfig({ ...production(), OUTBOUND_POLICY: 'allow-private' }), /OUTBOUND_POLICY: production allows only public-https/);
    assert.throws(() => loadConfig({ ...secrets(), OUTBOUND_POLICY: 'anything' }), /OUTBOUND_POLICY/);
  });

  it('treats an empty value as unset (as `KEY=` in .env.example)', () => {
    const config = loadConfig({ ...secrets(), HOST: '', PORT: '', DATABASE_URL: '', REDIS_URL: '', MIGRATE_ON_START: '', LOG_LEVEL: '' });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.migrateOnStart, true);
    assert.equal(config.logLevel, 'info');
  });

  it('returns a frozen object', () => {
    const config = loadConfig(secrets());
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.keyEncryptionKeys));
    assert.ok(Object.isFrozen(config.cookieSecrets));
    assert.throws(() => { (config as { port: number }).port = 1; });
  });
});

describe('.env.example', () => {
  const text = readFileSync(join(repoRoot, '.env.example'), 'utf8');
  const lines = text.split(/\r?\n/);
  const keyLines = lines.map((line, index) => ({ index, key: /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1] })).filter((l) => l.key);

  it('lists exactly the keys loadConfig reads, each once', () => {
    const keys = keyLines.map((l) => l.key!);
    assert.equal(new Set(keys).size, keys.length, 'a key is listed twice');
    assert.deepEqual([...keys].sort(), [...configKeys].sort());
  });

  it('explains each key in a comment just above it', () => {
    for (const { index, key } of keyLines) {
      assert.match(lines[index - 1] ?? '', /^#\s*\S/, `${key} has no comment line above it`);
    }
  });

  it('is a valid configuration when copied to .env (secrets aside)', () => {
    const env = readDotEnv(secrets(), join(repoRoot, '.env.example'));
    const config = loadConfig(env);
    assert.equal(config.env, 'development');
    assert.equal(config.publicUrl.origin, 'http://localhost:3000');
  });
});

describe('withDevelopmentSecrets', () => {
  it('generates the secrets once, keeps them in DATA_DIR/secrets.json (mode 0600) and reuses them', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const env = { DATA_DIR: dataDir };
    const first = withDevelopmentSecrets(env);
    assert.deepEqual(env, { DATA_DIR: dataDir }, 'the input is not modified');
    const file = join(dataDir, 'secrets.json');
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(first.KEY_ENCRYPTION_KEY!.length >= 32);
    assert.ok(first.COOKIE_SECRETS!.length >= 32);
    assert.notEqual(first.KEY_ENCRYPTION_KEY, first.COOKIE_SECRETS);
    const stored = readFileSync(file, 'utf8');

    const second = withDevelopmentSecrets({ DATA_DIR: dataDir, NODE_ENV: 'test' });
    assert.equal(second.KEY_ENCRYPTION_KEY, first.KEY_ENCRYPTION_KEY);
    assert.equal(second.COOKIE_SECRETS, first.COOKIE_SECRETS);
    assert.equal(readFileSync(file, 'utf8'), stored, 'the file is not rewritten');
    assert.equal(loadConfig(second).keyEncryptionKeys[0], first.KEY_ENCRYPTION_KEY);

    const other = withDevelopmentSecrets({ DATA_DIR: tempDir() });
    assert.notEqual(other.KEY_ENCRYPTION_KEY, first.KEY_ENCRYPTION_KEY, 'each installation gets its own');
  });

  it('lets configured secrets win over generated ones', () => {
    const dataDir = tempDir();
    const generated = withDevelopmentSecrets({ DATA_DIR: dataDir });
    const mine = secret();
    const env = withDevelopmentSecrets({ DATA_DIR: dataDir, KEY_ENCRYPTION_KEY: mine });
    assert.equal(env.KEY_ENCRYPTION_KEY, mine);
    assert.equal(env.COOKIE_SECRETS, generated.COOKIE_SECRETS);
  });

  it('writes nothing when both secrets are configured', () => {
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, ...secrets() };
    assert.deepEqual(withDevelopmentSecrets(env), env);
    assert.ok(!existsSync(join(dataDir, 'secrets.json')));
  });

  it('never generates or reads secrets in production', () => {
    const dataDir = tempDir();
    const env = { NODE_ENV: 'production', DATA_DIR: dataDir, PUBLIC_URL: 'https://id.example.com' };
    assert.deepEqual(withDevelopmentSecrets(env), env);
    assert.ok(!existsSync(join(dataDir, 'secrets.json')));
    assert.deepEqual(keysOf(problemsOf(withDevelopmentSecrets(env))), ['COOKIE_SECRETS', 'KEY_ENCRYPTION_KEY']);

    withDevelopmentSecrets({ DATA_DIR: dataDir }); // a development run left its secrets behind
    assert.ok(existsSync(join(dataDir, 'secrets.json')));
    assert.deepEqual(withDevelopmentSecrets(env), env, 'production ignores them');
  });

  it('names the file when secrets.json is damaged instead of failing with a parser error', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'secrets.json'), '{"KEY_ENCRYPTION_KEY": "trunc');
    assert.throws(() => withDevelopmentSecrets({ DATA_DIR: dataDir }), (error: Error) => {
      assert.ok(error instanceof ConfigError, `got ${error.name}: ${error.message}`);
      assert.match(error.message, /secrets\.json/);
      return true;
    });
  });
});

describe('readDotEnv', () => {
  const write = (text: string) => {
    const file = join(tempDir(), '.env');
    writeFileSync(file, text);
    return file;
  };

  it('adds what .env holds; the real environment wins', () => {
    const file = write('PORT=4000\nLOG_LEVEL=debug\nREDIS_PREFIX=from-file:\n');
    const env = readDotEnv({ PORT: '5000', HOST: '127.0.0.1' }, file);
    assert.deepEqual(env, { PORT: '5000', HOST: '127.0.0.1', LOG_LEVEL: 'debug', REDIS_PREFIX: 'from-file:' });
  });

  it('understands comments, blank lines, export, quotes, spaces and CRLF', () => {
    const file = write([
      '# a comment',
      '',
      'export PORT=4001',
      '  HOST = 0.0.0.0  ',
      'PUBLIC_URL="https://id.example.com"',
      "REDIS_PREFIX='a b:'",
      'COOKIE_SECRETS=abc#def',
      'LOG_LEVEL=warn # quieter',
      'KEY_ENCRYPTION_KEY="quoted # not a comment"',
      '   # indented comment=yes',
      'not a line',
    ].join('\r\n'));
    assert.deepEqual(readDotEnv({}, file), {
      PORT: '4001',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://id.example.com',
      REDIS_PREFIX: 'a b:',
      COOKIE_SECRETS: 'abc#def',
      LOG_LEVEL: 'warn',
      KEY_ENCRYPTION_KEY: 'quoted # not a comment',
    });
  });

  it('returns a copy of the environment when there is no .env', () => {
    const env = { PORT: '1' };
    const out = readDotEnv(env, join(tempDir(), '.env'));
    assert.deepEqual(out, env);
    assert.notEqual(out, env);
  });
});
