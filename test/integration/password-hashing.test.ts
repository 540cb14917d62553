// Password hashes over the real login form (issue #15): new hashes are argon2id at the installation's cost or the
// tenant's own, a bcrypt hash from an earlier version (or an import) still signs in and is moved to argon2id, and a
// wrong password changes nothing.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { Browser } from '../support/browser.js';
import { createUser } from '../support/fixtures.js';
import { asCallback, asPage, atCallback, createRealm, loginPage, visibleText, type Realm } from '../support/hosted-pages.js';
import { useTessera } from '../support/use-tessera.js';

async function withDatabase<T>(databaseUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('password hashing', () => {
  // a cheap installation cost keeps the test fast and shows which cost a hash was made with
  const server = useTessera({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' });
  let realm: Realm;
  const storedHash = (userId: string) => withDatabase(server.env.DATABASE_URL!, async (db) =>
    (await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [userId])).rows[0]!.password_hash);
  const setHash = (userId: string, hash: string) => withDatabase(server.env.DATABASE_URL!, (db) =>
    db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, hash]));

  async function signIn(email: string, password: string) {
    const browser = new Browser();
    const { page } = await loginPage(browser, realm.firstParty);
    return browser.submit(page, '/login', { email, password }, atCallback);
  }

  before(async () => {
    realm = await createRealm(server);
  });

  it('stores new passwords as argon2id at the installation\'s cost', async () => {
    assert.match(await storedHash(realm.user.id), /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.ok(asCallback(await signIn(realm.user.email, realm.user.password), 'a code').searchParams.get('code'));
    assert.match(await storedHash(realm.user.id), /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });

  it('signs a bcrypt user in and moves the stored hash to argon2id; a wrong password changes nothing', async () => {
    const user = await createUser(server, realm.slug);
    const legacy = bcrypt.hashSync(user.password, 4);
    await setHash(user.id, legacy);

    const wrong = asPage(await signIn(user.email, `${user.password}x`), 'the login page again');
    assert.equal(wrong.status, 401);
    assert.match(visibleText(wrong.html), /The email or password is incorrect\./);
    assert.equal(await storedHash(user.id), legacy, 'a failed attempt does not touch the hash');

    assert.ok(asCallback(await signIn(user.email, user.password), 'a code').searchParams.get('code'));
    const upgraded = await storedHash(user.id);
    assert.match(upgraded, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);

    // the new hash works, and the old password is still the only one that does
    assert.ok(asCallback(await signIn(user.email, user.password), 'a code').searchParams.get('code'));
    assert.equal(await storedHash(user.id), upgraded, 'an up-to-date hash is not rewritten');
    assert.equal(asPage(await signIn(user.email, 'Another-password-1'), 'login').status, 401);
  });

  it('uses the tenant\'s own cost within OWASP\'s floor and a ceiling, and re-hashes at the next sign-in', async () => {
    const settings = (patch: unknown) => server.cli(['tenant', 'settings', '--tenant', realm.slug, '--set', JSON.stringify({ signIn: { passwordHashing: patch } })]);
    for (const unsafe of [{ memoryKiB: 1024, timeCost: 1 }, { memoryKiB: 19456, timeCost: 1 }, { memoryKiB: 65536, timeCost: 10 }, { memoryKiB: 19456 }]) {
      const refused = await settings(unsafe);
      assert.equal(refused.code, 1, JSON.stringify(unsafe));
      assert.match(refused.stderr, /signIn\.passwordHashing/, JSON.stringify(unsafe));
    }
    const set = await settings({ memoryKiB: 7168, timeCost: 5 });
    assert.equal(set.code, 0, set.stderr);

    const user = await createUser(server, realm.slug);
    assert.match(await storedHash(user.id), /^\$argon2id\$v=19\$m=7168,t=5,p=1\$/, 'a new password gets the tenant\'s cost');
    // an account hashed before the change moves to the tenant's cost at its next sign-in
    assert.ok(asCallback(await signIn(realm.user.email, realm.user.password), 'a code').searchParams.get('code'));
    assert.match(await storedHash(realm.user.id), /^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
  });
});
