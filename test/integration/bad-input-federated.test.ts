// Hostile, malformed and oversized input at the routes of federated sign-in and the account page (issue #4): the
// upstream callback (GET and form_post), the interaction's federated routes, and /account. Never a 500, never a
// stack trace; our page with a clear message, or a 413 for a body too large.
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { check, form, megabyte } from '../support/bad-input.js';
import { createFederatedTenant, type FederatedTenant } from '../support/federation-flows.js';
import { useTessera } from '../support/use-tessera.js';

describe('bad input at federated sign-in and the account page', () => {
  const server = useTessera();
  let tenant: FederatedTenant;
  before(async () => {
    tenant = await createFederatedTenant(server, () => ({ sso: { type: 'oidc', clientId: 'x', clientSecret: 'y', issuer: 'http://127.0.0.1:9', timeoutMs: 500 } }));
  });

  it('the upstream callback', async () => {
    const cb = `/t/${tenant.slug}/federated/callback`;
    const stale = /started in another browser, has expired, or was already used/;
    await check(server.url, [
      [{ path: cb }, { kind: 'page', status: 400, text: stale }],
      [{ path: `${cb}?code=x&state=${'A'.repeat(43)}` }, { kind: 'page', status: 400, text: stale }],
      [{ path: `${cb}?state=${'A'.repeat(4000)}` }, { kind: 'page', status: 400 }],
      [{ path: `${cb}?state=a&state=b&code=1&code=2` }, { kind: 'page', status: 400, text: stale }],
      [{ path: `${cb}?state=%00%FF%FE&error=%00` }, { kind: 'page', status: 400, text: stale }],
      [{ path: `${cb}?resume=junk` }, { kind: 'page', status: 400, text: stale }],
      [{ path: `${cb}?resume=${randomBytes(32).toString('base64url')}` }, { kind: 'page', status: 400, text: stale }],
      [{ path: `${cb}?error=access_denied` }, { kind: 'page', status: 400, text: stale }],
      // a NUL in any form field refuses the whole form before any handler runs (issue #13, finding 9)
      [{ method: 'POST', path: cb, headers: { 'content-type': form }, body: 'state=%00&code=x&user=%7B%22name%22' }, { kind: 'app', status: 400 }],
      [{ method: 'POST', path: cb, headers: { 'content-type': form }, body: 'state=x&code=x&user=%7B%22name%22' }, { kind: 'ok', status: 303 }],
      [{ method: 'POST', path: cb, headers: { 'content-type': form }, body: Buffer.concat([Buffer.from('state='), megabyte]) }, { kind: 'app', status: 413 }],
      [{ method: 'POST', path: cb, headers: { 'content-type': 'application/json' }, body: '{"state":1}' }, { kind: 'app', status: 415 }],
      [{ method: 'PUT', path: cb }, { kind: 'app', status: 405 }],
      [{ path: `/t/${tenant.slug}/federated/elsewhere` }, { kind: 'app', status: 404 }],
    ]);
  });

  it('the interaction’s federated routes and the account page', async () => {
    const ix = `/t/${tenant.slug}/interaction/${'x'.repeat(21)}`;
    await check(server.url, [
      [{ method: 'POST', path: `${ix}/federated/sso`, headers: { 'content-type': form }, body: '_csrf=x' }, { kind: 'page', status: 400 }],
      [{ method: 'POST', path: `${ix}/federated/%00`, headers: { 'content-type': form }, body: '' }, { kind: 'page', status: 400 }],
      [{ path: `${ix}/federated/result/${'A'.repeat(43)}` }, { kind: 'page', status: 400 }],
      [{ path: `${ix}/federated/result/${'%FF'.repeat(50)}` }, { kind: 'page', status: 400 }],
      [{ path: `${ix}/federated/continue` }, { kind: 'page', status: 400 }],
      [{ path: `/t/${tenant.slug}/account` }, { kind: 'page', status: 200, text: /Sign in to see and change/ }],
      [{ path: `/t/${tenant.slug}/account?m=__proto__&c=%00` }, { kind: 'page', status: 200 }],
      [{ method: 'POST', path: `/t/${tenant.slug}/account/link/sso`, headers: { 'content-type': form }, body: '_csrf=x' }, { kind: 'page', status: 401 }],
      [{ method: 'POST', path: `/t/${tenant.slug}/account/unlink/${'%00'.repeat(40)}`, headers: { 'content-type': form }, body: '' }, { kind: 'page', status: 401 }],
      [{ method: 'POST', path: `/t/${tenant.slug}/account/unlink/sso`, headers: { 'content-type': form }, body: Buffer.concat([Buffer.from('_csrf='), megabyte]) }, { kind: 'app', status: 413 }],
      [{ path: `/t/${tenant.slug}/account/sign-in` }, { kind: 'ok', status: 303 }],
      [{ path: `/t/${tenant.slug}/account/callback?error=access_denied` }, { kind: 'ok', status: 303 }],
    ]);
  });
});
