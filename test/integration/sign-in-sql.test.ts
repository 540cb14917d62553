// The plain-SQL statements of a password sign-in (users.repository.ts recordLogin and rememberLocale,
// session-activity.repository.ts signedIn, mfa.repository.ts secondFactorFacts), on PostgreSQL and on embedded PGlite,
// in a time zone far from UTC: what they write reads back through Prisma as Prisma wrote it before, and the MFA gate's
// one read counts only what makes a second factor (confirmed factors, unused recovery codes, the user's own).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database } from '../../src/db/database.js';
import { createMfaRepository } from '../../src/db/mfa.repository.js';
import { createSessionActivityRepository } from '../../src/db/session-activity.repository.js';
import { createUsersRepository } from '../../src/db/users.repository.js';
import { inFarZone, onEmbeddedPglite, onPostgres, type OpenDatabase } from '../support/sql-databases.js';

const near = (at: Date | null | undefined, what: string) => assert.ok(at && Math.abs(at.getTime() - Date.now()) < 60_000, `${what} now, not half a day off: ${at?.toISOString()}`);

function suite(name: string, open: OpenDatabase) {
  describe(name, () => {
    let db: Database;
    let tenantId: string;

    inFarZone(open, 'sign-in-sql', (opened, tenant) => { db = opened; tenantId = tenant; });

    it('records the sign-in and its language, and a rehash, as Prisma reads them', async () => {
      const users = createUsersRepository(db.prisma, db.sql);
      const user = await db.prisma.user.create({ data: { tenantId, email: 'ada@example.com', passwordHash: 'old' } });
      await users.recordLogin(user.id);
      let row = await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
      near(row.lastLoginAt, 'last login');
      near(row.updatedAt, 'updated');
      assert.equal(row.passwordHash, 'old', 'no rehash: the hash stays');
      await users.recordLogin(user.id, 'new');
      assert.equal((await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash, 'new');
      await assert.rejects(users.recordLogin('00000000-0000-4000-8000-000000000000'), /no user/);

      await users.rememberLocale(tenantId, user.id, 'fr');
      row = await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
      assert.equal(row.locale, 'fr');
      await users.rememberLocale(tenantId, user.id, 'fr');
      assert.equal((await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).updatedAt.getTime(), row.updatedAt.getTime(), 'the same language writes nothing');
      const other = (await db.prisma.tenant.create({ data: { slug: `other-${Date.now().toString(36)}`, name: 'Other' } })).id;
      await users.rememberLocale(other, user.id, 'de');
      assert.equal(await users.localeOf(tenantId, user.id), 'fr', 'another tenant\'s id changes nothing');
    });

    it('describes a session, in the amr\'s order, and a later sign-in into it updates the description', async () => {
      const activity = createSessionActivityRepository(db.prisma, db.sql);
      await activity.signedIn(tenantId, 'uid-s', { accountId: 'a1', ip: '192.0.2.1', userAgent: 'Test/1', amr: ['pwd', 'otp', 'mfa'] });
      let [row] = await activity.forSessions(tenantId, ['uid-s']);
      assert.deepEqual({ ...row, createdAt: null, lastActiveAt: null }, { uid: 'uid-s', ip: '192.0.2.1', userAgent: 'Test/1', amr: ['pwd', 'otp', 'mfa'], createdAt: null, lastActiveAt: null });
      near(row!.createdAt, 'created');
      assert.equal(row!.createdAt.getTime(), row!.lastActiveAt.getTime());
      await activity.signedIn(tenantId, 'uid-s', { accountId: 'a1', ip: null, userAgent: null, amr: [] });
      [row] = await activity.forSessions(tenantId, ['uid-s']);
      assert.deepEqual({ ip: row!.ip, userAgent: row!.userAgent, amr: row!.amr }, { ip: null, userAgent: null, amr: [] });
    });

    it('counts the second factors that count: confirmed, unused, the user\'s own', async () => {
      const mfa = createMfaRepository(db.prisma, db.sql);
      const user = await db.prisma.user.create({ data: { tenantId, email: 'grace@example.com' } });
      const neighbour = await db.prisma.user.create({ data: { tenantId, email: 'alan@example.com' } });
      const none = { totp: false, sms: false, passkeys: 0, recoveryCodesLeft: 0 };
      assert.deepEqual(await mfa.secondFactorFacts(tenantId, user.id), none);
      // the neighbour's factors and the user's unconfirmed or used ones are not the user's second factors
      await db.prisma.mfaFactor.createMany({ data: [
        { tenantId, userId: neighbour.id, type: 'totp', name: 'n', sealedSecret: 's', confirmed: true },
        { tenantId, userId: neighbour.id, type: 'sms', name: 'n', sealedSecret: 's', confirmed: true },
        { tenantId, userId: user.id, type: 'totp', name: 'pending', sealedSecret: 's', confirmed: false },
      ] });
      await db.prisma.passkey.create({ data: { tenantId, userId: neighbour.id, credentialId: 'c0', publicKey: Buffer.from('k'), deviceType: 'singleDevice', name: 'n' } });
      await db.prisma.recoveryCode.createMany({ data: [{ tenantId, userId: user.id, codeHash: 'used', usedAt: new Date() }, { tenantId, userId: neighbour.id, codeHash: 'n' }] });
      assert.deepEqual(await mfa.secondFactorFacts(tenantId, user.id), none);

      await db.prisma.mfaFactor.createMany({ data: [
        { tenantId, userId: user.id, type: 'totp', name: 'app', sealedSecret: 's', confirmed: true },
        { tenantId, userId: user.id, type: 'sms', name: 'phone', sealedSecret: 's', confirmed: true },
      ] });
      await db.prisma.passkey.createMany({ data: ['c1', 'c2'].map((credentialId) => ({ tenantId, userId: user.id, credentialId, publicKey: Buffer.from('k'), deviceType: 'singleDevice', name: 'key' })) });
      await db.prisma.recoveryCode.createMany({ data: ['a', 'b', 'c'].map((codeHash) => ({ tenantId, userId: user.id, codeHash })) });
      assert.deepEqual(await mfa.secondFactorFacts(tenantId, user.id), { totp: true, sms: true, passkeys: 2, recoveryCodesLeft: 3 });
      // another tenant's rows of the same user id are not read
      const other = (await db.prisma.tenant.create({ data: { slug: `sms-${Date.now().toString(36)}`, name: 'SMS' } })).id;
      assert.deepEqual(await mfa.secondFactorFacts(other, user.id), none);
      assert.deepEqual(await mfa.secondFactorFacts(tenantId, 'not-a-user'), none);
    });
  });
}

suite('on PostgreSQL', onPostgres);

suite('on embedded PGlite', onEmbeddedPglite);
