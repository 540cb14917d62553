// Where the provider may send requests on a client's behalf (sector_identifier_uri, jwks_uri …): in production
// https only and only to public addresses, whatever the host name resolves to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSpecialUseAddress, outboundRefusal } from '../../src/oidc/outbound-fetch.js';

const production = { production: true };
const resolvesTo = (...addresses: string[]) => async () => addresses;

describe('outbound request policy', () => {
  it('in production refuses http, and hosts on loopback, private, link-local or mapped addresses', async () => {
    assert.match((await outboundRefusal(new URL('http://sectors.example.com/s.json'), production, resolvesTo('93.184.216.34')))!, /https/);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
      assert.ok(await outboundRefusal(new URL('https://sectors.example.com/s.json'), production, resolvesTo(address)), `${address} refused`);
    }
    assert.ok(await outboundRefusal(new URL('https://169.254.169.254/latest'), production), 'an address literal is checked without DNS');
    assert.ok(await outboundRefusal(new URL('https://[::1]/s.json'), production));
  });

  it('in production refuses a host with any non-public address among its answers, or none', async () => {
    assert.ok(await outboundRefusal(new URL('https://sectors.example.com/'), production, resolvesTo('93.184.216.34', '10.0.0.1')));
    assert.ok(await outboundRefusal(new URL('https://sectors.example.com/'), production, resolvesTo()));
    assert.ok(await outboundRefusal(new URL('https://sectors.example.com/'), production, async () => { throw new Error('ENOTFOUND'); }));
  });

  it('in production allows https to public addresses', async () => {
    assert.equal(await outboundRefusal(new URL('https://sectors.example.com/s.json'), production, resolvesTo('93.184.216.34', '2606:2800:220:1::1')), null);
  });

  it('outside production allows this machine (apps in development), but never other schemes', async () => {
    assert.equal(await outboundRefusal(new URL('http://127.0.0.1:3000/s.json'), { production: false }), null);
    assert.ok(await outboundRefusal(new URL('file:///etc/passwd'), { production: false }));
  });

  it('knows special-use addresses', () => {
    assert.equal(isSpecialUseAddress('8.8.8.8'), false);
    assert.equal(isSpecialUseAddress('192.168.0.10'), true);
    assert.equal(isSpecialUseAddress('not-an-address'), true);
  });
});
