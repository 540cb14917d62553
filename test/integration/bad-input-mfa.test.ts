// Hostile and malformed input at the second-factor pages and the security page (issue #5): no interaction, no
// session, junk ids, oversized bodies. Never a 500 or a stack trace: our page, or 413 for a body too large.
import { before, describe, it } from 'node:test';
import { check, form, megabyte } from '../support/bad-input.js';
import { createTenant } from '../support/fixtures.js';
import { useTessera } from '../support/use-tessera.js';

describe('bad input at the second-factor and security pages', () => {
  const server = useTessera();
  let slug: string;
  before(async () => {
    slug = (await createTenant(server)).slug;
  });

  it('second-factor pages without a waiting sign-in', async () => {
    const ix = `/t/${slug}/interaction/${'x'.repeat(21)}/mfa`;
    await check(server.url, [
      [{ path: ix }, { kind: 'page', status: 400 }],
      [{ path: `${ix}/enrol` }, { kind: 'page', status: 400 }],
      [{ method: 'POST', path: `${ix}/totp`, headers: { 'content-type': form }, body: 'code=123456&_csrf=x' }, { kind: 'page', status: 400 }],
      [{ method: 'POST', path: `${ix}/recovery`, headers: { 'content-type': form }, body: `code=${'%00'.repeat(100)}` }, { kind: 'app', status: 400, error: 'request.invalid' }],
      [{ method: 'POST', path: `${ix}/code/fax`, headers: { 'content-type': form }, body: '' }, { kind: 'page', status: 400 }],
      [{ method: 'POST', path: `${ix}/enrol`, headers: { 'content-type': form }, body: 'code=' }, { kind: 'page', status: 400 }],
      [{ method: 'POST', path: `${ix}/enrol/done`, headers: { 'content-type': form }, body: '' }, { kind: 'page', status: 400 }],
      [{ method: 'POST', path: `${ix}/totp`, headers: { 'content-type': form }, body: Buffer.concat([Buffer.from('code='), megabyte]) }, { kind: 'app', status: 413 }],
    ]);
  });

  it('the security page without a session', async () => {
    const base = `/t/${slug}/account/security`;
    const signIn = /Sign in to see and change the ways you sign in\./;
    await check(server.url, [
      [{ path: base }, { kind: 'page', status: 401, text: signIn }],
      [{ path: `${base}/totp` }, { kind: 'page', status: 401, text: signIn }],
      [{ method: 'POST', path: `${base}/totp`, headers: { 'content-type': form }, body: 'code=123456' }, { kind: 'page', status: 401 }],
      [{ method: 'POST', path: `${base}/totp/not-a-uuid/remove`, headers: { 'content-type': form }, body: '' }, { kind: 'page', status: 401 }],
      [{ method: 'POST', path: `${base}/recovery-codes`, headers: { 'content-type': form }, body: '' }, { kind: 'page', status: 401 }],
      [{ method: 'POST', path: `${base}/devices/${'%FF'.repeat(30)}/revoke`, headers: { 'content-type': form }, body: '' }, { kind: 'page', status: 401 }],
      [{ method: 'POST', path: `${base}/devices/all/revoke`, headers: { 'content-type': form }, body: Buffer.concat([Buffer.from('_csrf='), megabyte]) }, { kind: 'app', status: 413 }],
    ]);
  });
});
