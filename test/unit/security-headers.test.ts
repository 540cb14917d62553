// The security headers (security-headers.ts) through a real Koa app over HTTP: every page gets the strict CSP (or its
// own, with 'none' dropped beside a script hash), a JSON answer none; the CSP is in place before the answer is made
// (oidc-provider's form_post page adds its script's hash to it), except at a tenant's token endpoint, which answers
// JSON and only had it removed again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import { securityHeaders } from '../../src/http/security-headers.js';

const pageCsp = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'";

describe('securityHeaders', () => {
  let server: Server;
  let base: string;
  /** the CSP the answering middleware found in place, by path */
  const seen = new Map<string, string | undefined>();

  before(async () => {
    const app = new Koa();
    app.use(securityHeaders({ https: false }));
    app.use((ctx) => {
      const csp = ctx.response.get('Content-Security-Policy');
      seen.set(`${ctx.method} ${ctx.path}`, csp || undefined);
      if (ctx.query.page !== undefined) {
        // what oidc-provider's form_post does (lib/helpers/script_src_sha.js): a hash added to the script-src found
        if (csp) ctx.set('Content-Security-Policy', csp.replace("script-src 'none'", "script-src 'none' 'sha256-abc='"));
        ctx.type = 'html';
        ctx.body = '<!doctype html><p>page</p>';
      } else {
        ctx.body = { ok: true };
      }
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('puts the page CSP in place before a page is made, so that a script hash added to it is kept', async () => {
    const response = await fetch(`${base}/t/acme/auth?page`, { method: 'POST' });
    assert.equal(seen.get('POST /t/acme/auth'), pageCsp);
    assert.equal(response.headers.get('content-security-policy'), "default-src 'none'; script-src 'sha256-abc='; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'");
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
  });

  it('sends no CSP with a JSON answer', async () => {
    const response = await fetch(`${base}/t/acme/me`);
    assert.equal(seen.get('GET /t/acme/me'), pageCsp);
    assert.equal(response.headers.get('content-security-policy'), null);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  });

  it('sets no CSP beforehand at a tenant token endpoint, which answers JSON', async () => {
    const response = await fetch(`${base}/t/acme/token`, { method: 'POST' });
    assert.equal(seen.get('POST /t/acme/token'), undefined);
    assert.equal(response.headers.get('content-security-policy'), null);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  it('still gives a page answered at the token endpoint the page CSP', async () => {
    const response = await fetch(`${base}/t/acme/token?page`, { method: 'POST' });
    assert.equal(response.headers.get('content-security-policy'), pageCsp);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('keeps the CSP beforehand for other methods and paths that end in /token', async () => {
    await fetch(`${base}/t/acme/token`);
    await fetch(`${base}/admin/token`, { method: 'POST' });
    assert.equal(seen.get('GET /t/acme/token'), pageCsp);
    assert.equal(seen.get('POST /admin/token'), pageCsp);
  });
});
