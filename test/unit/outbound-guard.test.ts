// The outbound guard (src/net): which addresses are public, which configured URLs the `public-https` policy
// refuses up front, and that a name resolving to this machine is refused when connecting — for fetch (SMS,
// WhatsApp, upstream IdPs) and for SMTP — before a single byte reaches the listener. `allow-private` lets it through.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { isPublicAddress } from '../../src/net/address-ranges.js';
import { createOutboundGuard, outboundUrlProblem } from '../../src/net/outbound-guard.js';
import { createSmtpSender } from '../../src/notifications/email/email-sender.js';
import { ProviderError, vendorRequest } from '../../src/notifications/provider-error.js';

describe('address ranges', () => {
  it('public unicast passes, IPv4 and IPv6', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8']) {
      assert.equal(isPublicAddress(address), true, address);
    }
  });

  it('loopback, private, link-local (metadata), ULA, CGNAT, reserved and every IPv6 spelling of them are refused', () => {
    const refused = [
      '127.0.0.1', '127.255.255.254', '0.0.0.0', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
      '100.64.0.1', '100.100.100.200', '192.0.0.1', '192.0.2.1', '198.18.0.1', '198.51.100.1', '203.0.113.1', '224.0.0.1', '255.255.255.255',
      '::1', '::', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1',
      '64:ff9b::7f00:1', '2002:7f00:1::1', '2001::1', '2001:db8::1', 'fc00::1', 'fd00:ec2::254', 'fe80::1', 'fec0::1', 'ff02::1',
      'localhost', 'not an address', '',
    ];
    for (const address of refused) assert.equal(isPublicAddress(address), false, address);
    // 172.32.0.0 is just past 172.16/12; 100.128.0.0 just past 100.64/10
    assert.equal(isPublicAddress('172.32.0.1'), true);
    assert.equal(isPublicAddress('100.128.0.1'), true);
  });
});

describe('configured URLs under public-https', () => {
  it('refuses http, literal private addresses and localhost names; allows public https names', () => {
    const problem = (url: string) => outboundUrlProblem('public-https', url);
    assert.match(problem('http://api.twilio.com')!, /https/);
    for (const url of ['https://127.0.0.1:8443', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://169.254.169.254/latest', 'https://localhost/', 'https://a.localhost./', 'https://10.1.2.3/']) {
      assert.equal(problem(url), 'must be a public address', url);
    }
    assert.equal(problem('https://api.twilio.com'), null);
    assert.equal(problem('https://8.8.8.8/'), null);
    assert.equal(outboundUrlProblem('public-https', 'smtps://u:p@127.0.0.1:465', ['smtp:', 'smtps:']), 'must be a public address');
    assert.equal(outboundUrlProblem('public-https', 'smtp://u:p@mail.example.com:587', ['smtp:', 'smtps:']), null);
  });

  it('allow-private allows all of them (development stand-ins)', () => {
    for (const url of ['http://127.0.0.1:8443', 'https://localhost/']) assert.equal(outboundUrlProblem('allow-private', url), null);
  });
});

describe('at connect time', () => {
  let listener: Server;
  let port: number;
  let connections = 0;
  const host = hostname();
  before(async () => {
    const { address } = await lookup(host);
    assert.equal(isPublicAddress(address), false, `this test needs the machine's name (${host}) to resolve to a local address; it resolves to ${address}`);
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
    port = (listener.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  it('fetch refuses a name that resolves to this machine, and a literal address, without connecting', async () => {
    const guard = createOutboundGuard('public-https');
    assert.equal(guard.urlProblem(`https://${host}:${port}/`), null, 'a name passes the settings check: only DNS knows');
    for (const url of [`https://${host}:${port}/x`, `https://127.0.0.1:${port}/x`]) {
      const error = await guard.fetch(url).then(() => null, (e: Error) => e);
      assert.equal((error?.cause as { code?: string } | undefined)?.code, 'OUTBOUND_BLOCKED', url);
      const vendor = await vendorRequest('twilio', url, { method: 'POST', signal: AbortSignal.timeout(5000) }, guard.fetch).then(() => null, (e: unknown) => e);
      assert.ok(vendor instanceof ProviderError);
      assert.equal(vendor.details.code, 'blocked');
      assert.doesNotMatch(vendor.message, new RegExp(`${host}|127\\.0\\.0\\.1|${port}`), 'no address or port in the error');
    }
    assert.equal(connections, 0);
  });

  it('SMTP refuses the same, without connecting', async () => {
    const guard = createOutboundGuard('public-https');
    for (const server of [host, '127.0.0.1']) {
      const sender = createSmtpSender({ url: `smtp://user:pw@${server}:${port}`, timeoutMs: 5000, guard: { getSocket: guard.smtpSocket, requireTls: true } });
      const error = await sender.send({ from: 'a@example.com', to: 'b@example.com', subject: 's', html: 'h', text: 't' }).then(() => null, (e: unknown) => e);
      await sender.close();
      assert.ok(error instanceof ProviderError, server);
      assert.equal(error.details.code, 'blocked');
    }
    assert.equal(connections, 0);
  });

  it('allow-private connects', async () => {
    const guard = createOutboundGuard('allow-private');
    await guard.fetch(`http://${host}:${port}/`).catch(() => undefined);
    assert.ok(connections > 0);
  });
});
