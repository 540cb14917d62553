// The tenant's password policy (issue #6, settings an operator changes): the shortest password accepted, for every
// way a password is set (here: `user create`; sign-up and reset read the same setting). Never below NIST's 8.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTenant } from '../support/fixtures.js';
import { useTessera } from '../support/use-tessera.js';

describe('password policy per tenant', () => {
  const server = useTessera();

  it('a longer minimum refuses shorter passwords; a minimum below 8 is refused', async () => {
    const tenant = await createTenant(server);
    const createUser = (password: string) => server.cli(['user', 'create', '--tenant', tenant.slug, '--email', `p-${password.length}@example.com`, '--password', password]);
    assert.equal((await createUser('Zq8-vLx2-Tr')).code, 0, 'an 11-character password passes the default policy');

    const set = await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', '{"signIn":{"passwordMinLength":14}}']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((set.json as { signIn: { passwordMinLength: number } }).signIn.passwordMinLength, 14);
    const short = await createUser('Zq8-vLx2-Tr9k');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 14 characters/);
    assert.equal((await createUser('Zq8-vLx2-Tr9k-W')).code, 0);

    const weak = await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', '{"signIn":{"passwordMinLength":4}}']);
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /signIn\.passwordMinLength/);
  });
});
