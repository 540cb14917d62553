// TRUST_PROXY and the client address read from the right of X-Forwarded-For (issue #13, finding 6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { describeTrustProxy, parseTrustProxy, type TrustProxy } from '../../src/config/trust-proxy.js';
import { clientAddress, forwardedFor, peerIsTrustedProxy } from '../../src/http/client-address.js';

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
