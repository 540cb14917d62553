// TRUST_PROXY and the client address read from the right of X-Forwarded-For (issue #13, finding 6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { describeTrustProxy, parseTrustProxy, type TrustProxy } from '../../src/config/trust-proxy.js';
import { clientAddress, forwardedFor, isLocalRequest, peerIsTrustedProxy } from '../../src/http/client-address.js';
import { developmentBehaviours } from '../../src/config/development-mode.js';

const trust = (value: string): TrustProxy => {
  const parsed = parseTrustProxy(value);
  assert.ok(parsed.ok, `${value}: ${parsed.ok ? '' : parsed.problem}`);
  return parsed.value;
};

describe('TRUST_PROXY', () => {
  it('reads off, true (one hop, as before), a hop count, or a list of proxy addresses and ranges', () => {
    for (const off of ['', 'false', 'no', '0', 'FALSE']) assert.equal(trust(off).kind, 'none', off);
    assert.deepEqual(trust('true'), { kind: 'hops', hops: 1 });
    assert.deepEqual(trust('yes'), { kind: 'hops', hops: 1 });
    assert.deepEqual(trust('1'), { kind: 'hops', hops: 1 });
    assert.deepEqual(trust('3'), { kind: 'hops', hops: 3 });
    assert.equal(describeTrustProxy(trust('10.0.0.0/8, 192.168.1.7,::1, fd00::/8')), 'proxies at 10.0.0.0/8, 192.168.1.7, ::1, fd00::/8');
  });

  it('refuses anything else with a configuration error naming the bad entries', () => {
    for (const bad of ['maybe', '11', '10.0.0.0/33', '10.0.0.300', '10.0.0.1, proxy.internal', '::1/129', '10.0.0.0/8/1', ',']) {
      assert.equal(parseTrustProxy(bad).ok, false, bad);
    }
    assert.throws(() => loadConfig({ KEY_ENCRYPTION_KEY: 'k'.repeat(32), COOKIE_SECRETS: 'c', TRUST_PROXY: '10.0.0.1, proxy.internal' }),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('TRUST_PROXY:') && p.includes('"proxy.internal"')));
  });
});

describe('client address', () => {
  const client = '203.0.113.9';
  const spoofed = ['1.2.3.4'];

  it('without a trusted proxy: the socket peer, whatever the header says', () => {
    assert.equal(clientAddress(trust('false'), '198.51.100.1', [...spoofed, client]), '198.51.100.1');
    assert.equal(clientAddress(trust('false'), '::ffff:198.51.100.1', []), '198.51.100.1');
  });

  it('a hop count skips that many entries from the right, never reaching what the client wrote', () => {
    // client → proxy (appends the client) → Tessera
    assert.equal(clientAddress(trust('1'), '10.0.0.2', [...spoofed, client]), client);
    assert.equal(clientAddress(trust('true'), '10.0.0.2', [client]), client);
    // client → edge (appends client) → internal proxy (appends edge) → Tessera
    assert.equal(clientAddress(trust('2'), '10.0.0.3', [...spoofed, client, '10.0.0.2']), client);
    // fewer entries than hops (a request that bypassed a proxy): the leftmost there is
    assert.equal(clientAddress(trust('2'), '10.0.0.3', []), '10.0.0.3');
  });

  it('an address list skips trusted proxies from the right; an untrusted peer is the client itself', () => {
    const proxies = trust('10.0.0.0/8');
    assert.equal(clientAddress(proxies, '10.0.0.3', [...spoofed, client, '10.0.0.2']), client);
    assert.equal(clientAddress(proxies, '::ffff:10.0.0.3', [...spoofed, client]), client);
    assert.equal(clientAddress(proxies, '198.51.100.1', [...spoofed, client]), '198.51.100.1', 'not from a proxy: its header is the client\'s own');
    assert.equal(clientAddress(proxies, '10.0.0.3', ['10.0.0.9']), '10.0.0.9', 'only proxies: the furthest one');
    assert.equal(peerIsTrustedProxy(proxies, '10.1.2.3'), true);
    assert.equal(peerIsTrustedProxy(proxies, '11.1.2.3'), false);
    assert.equal(peerIsTrustedProxy(trust('2'), '11.1.2.3'), true);
    assert.equal(peerIsTrustedProxy(trust('false'), '10.1.2.3'), false);
  });

  it('never takes an entry that is not an address: the last trusted hop\'s view instead', () => {
    assert.equal(clientAddress(trust('2'), '10.0.0.3', ['<script>', '10.0.0.2']), '10.0.0.2');
    assert.equal(clientAddress(trust('10.0.0.0/8'), '10.0.0.3', ['unknown', '10.0.0.2']), '10.0.0.2');
  });

  it('joins repeated headers in order', () => {
    assert.deepEqual(forwardedFor(['1.2.3.4, 5.6.7.8', ' 9.9.9.9 ']), ['1.2.3.4', '5.6.7.8', '9.9.9.9']);
    assert.deepEqual(forwardedFor(undefined), []);
  });
});

describe('local requests (who may read an outbox)', () => {
  it('a loopback peer with no proxy header only', () => {
    assert.equal(isLocalRequest('127.0.0.1', {}), true);
    assert.equal(isLocalRequest('::1', {}), true);
    assert.equal(isLocalRequest('::ffff:127.0.0.1', {}), true);
    assert.equal(isLocalRequest('192.0.2.2', {}), false);
    assert.equal(isLocalRequest('::ffff:192.0.2.2', {}), false);
    for (const header of ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via']) {
      assert.equal(isLocalRequest('127.0.0.1', { [header]: 'x' }), false, header);
    }
  });
});

describe('start-up lines', () => {
  const secrets = { KEY_ENCRYPTION_KEY: 'k'.repeat(32), COOKIE_SECRETS: 'c'.repeat(32) };
  it('one per development-only behaviour that is on; none in production', () => {
    const lines = developmentBehaviours(loadConfig({ ...secrets, SEED_DEMO: 'true', COOKIE_SECRETS: 'short' }), ['COOKIE_SECRETS']);
    for (const start of ['outbox:', 'fixed test codes:', 'private networks:', 'generated secrets: COOKIE_SECRETS', 'http:', 'short cookie secrets:', 'demo data:', 'templates:', 'listening on 127.0.0.1']) {
      assert.ok(lines.some((line) => line.startsWith(`[development only] ${start}`)), start);
    }
    const quiet = developmentBehaviours(loadConfig({ ...secrets, NODE_ENV: 'test', PUBLIC_URL: 'https://id.example.com', HOST: '0.0.0.0' }));
    assert.ok(!quiet.some((line) => /http:|short cookie|demo data|templates:|generated/.test(line)), quiet.join('\n'));
    assert.ok(quiet.includes('[test only] listening on 0.0.0.0'));
    assert.deepEqual(developmentBehaviours(loadConfig({ ...secrets, NODE_ENV: 'production', PUBLIC_URL: 'https://id.example.com' })), []);
  });

  it('on loopback, the listening line says to set HOST and PUBLIC_URL together, and who can then reach the server', () => {
    const lines = developmentBehaviours(loadConfig({ ...secrets, PORT: '4321' }));
    assert.equal(lines.at(-1), '[development only] listening on 127.0.0.1 only: to reach it from another machine on purpose, restart with '
      + 'HOST=0.0.0.0 and PUBLIC_URL set to the address the others use, e.g. HOST=0.0.0.0 PUBLIC_URL=http://<this machine\'s address>:4321 npm start; '
      + 'anyone on that network can then reach it, including the outbox with its live sign-in codes');
  });
});
