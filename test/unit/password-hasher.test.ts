// test-group: serial (measures event-loop stalls while bcrypt runs on every core: other files running alongside would distort it)
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { hashSync } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { argon2Scheme, bcryptScheme, createPasswordHasher, passwordChecksRun, type Argon2Cost, type PasswordHasher } from '../../src/accounts/password-hasher.js';
import { OWASP_ARGON2ID } from '../../src/config/argon2-cost.js';

/** cheap costs keep the suite fast; each test that counts checks uses a cost of its own */
const cheap = (memoryKiB: number, timeCost = 1): Argon2Cost => ({ memoryKiB, timeCost });
const open: PasswordHasher[] = [];
function hasher(cost: Argon2Cost, threads?: number): PasswordHasher {
  const h = createPasswordHasher({ cost, threads });
  open.push(h);
  return h;
}
after(() => Promise.all(open.map((h) => h.close())));

/** polls `condition` (every 10 ms, for up to 10 s): the behaviour under test, not how fast it happens */
async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !condition(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
  }
}

describe('password hasher', () => {
  it('hashes with argon2id at the configured cost and verifies the same password', async () => {
    const h = hasher(cheap(256));
    const stored = await h.hash('correct horse battery staple');
    assert.match(stored, /^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.deepEqual(await h.verify('correct horse battery staple', stored), { ok: true, needsRehash: false });
  });

  it('uses OWASP\'s argon2id parameters by default', async () => {
    assert.deepEqual(OWASP_ARGON2ID, { memoryKiB: 19456, timeCost: 2 });
    const h = createPasswordHasher({ threads: 1 });
    open.push(h);
    assert.match(await h.hash('owasp-default'), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('rejects a wrong password', async () => {
    const h = hasher(cheap(256));
    const stored = await h.hash('correct horse battery staple');
    assert.deepEqual(await h.verify('correct horse battery stapler', stored), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('', stored), { ok: false, needsRehash: false });
  });

  it('runs a real argon2id check at the asked cost for an unknown account', async () => {
    const h = hasher(cheap(264));
    const before = passwordChecksRun(argon2Scheme(cheap(264)));
    assert.deepEqual(await h.verify('anything at all', undefined), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('anything at all', null), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('x'.repeat(100), undefined), { ok: false, needsRehash: false });
    assert.equal(passwordChecksRun(argon2Scheme(cheap(264))) - before, 3);
    // a tenant's own cost: the unknown account costs what that tenant's accounts cost
    const tenantCost = cheap(272, 2);
    const beforeTenant = passwordChecksRun(argon2Scheme(tenantCost));
    assert.deepEqual(await h.verify('anything at all', undefined, tenantCost), { ok: false, needsRehash: false });
    assert.equal(passwordChecksRun(argon2Scheme(tenantCost)) - beforeTenant, 1);
  });

  it('verifies bcrypt hashes of earlier versions and imports, and asks to move each to argon2id', async () => {
    const h = hasher(cheap(256));
    const salt = bcrypt.genSaltSync(4).slice(7);
    const before = passwordChecksRun(bcryptScheme(4));
    for (const version of ['2a', '2b', '2y']) {
      const imported = bcrypt.hashSync('imported-pass', `$${version}$04$${salt}`);
      assert.ok(imported.startsWith(`$${version}$04$`));
      assert.deepEqual(await h.verify('imported-pass', imported), { ok: true, needsRehash: true });
      assert.deepEqual(await h.verify('imported-pas', imported), { ok: false, needsRehash: false });
    }
    assert.equal(passwordChecksRun(bcryptScheme(4)) - before, 6, 'bcrypt hashes are checked with bcrypt');
    // how an earlier version stored passwords over bcrypt's 72 bytes: bcrypt of base64(sha256(password))
    const long = 'x'.repeat(72) + 'A';
    const prehashed = 'sha256$' + bcrypt.hashSync(createHash('sha256').update(long).digest('base64'), 4);
    assert.deepEqual(await h.verify(long, prehashed), { ok: true, needsRehash: true });
    assert.equal((await h.verify('x'.repeat(72) + 'B', prehashed)).ok, false);
    // a system that truncated at 72 bytes: accepted as before, then moved to argon2id, which uses every byte
    const truncated = bcrypt.hashSync('y'.repeat(80), bcrypt.genSaltSync(4));
    assert.deepEqual(await h.verify('y'.repeat(80), truncated), { ok: true, needsRehash: true });
    const rehashed = await h.hash('y'.repeat(80));
    assert.deepEqual(await h.verify('y'.repeat(80), rehashed), { ok: true, needsRehash: false });
    assert.equal((await h.verify('y'.repeat(79) + 'z', rehashed)).ok, false);
  });

  it('asks for a rehash when the stored argon2 cost or variant differs from the asked one', async () => {
    const stored = await hasher(cheap(256)).hash('s3cret-passphrase');
    const h = hasher(cheap(512));
    assert.deepEqual(await h.verify('s3cret-passphrase', stored), { ok: true, needsRehash: true });
    assert.deepEqual(await h.verify('wrong-passphrase', stored), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('s3cret-passphrase', stored, cheap(256)), { ok: true, needsRehash: false }, 'a tenant at the stored cost');
    const rehashed = await h.hash('s3cret-passphrase');
    assert.match(rehashed, /^\$argon2id\$v=19\$m=512,t=1,p=1\$/);
    assert.deepEqual(await h.verify('s3cret-passphrase', rehashed), { ok: true, needsRehash: false });
    assert.match(await h.hash('s3cret-passphrase', cheap(256, 3)), /^\$argon2id\$v=19\$m=256,t=3,p=1\$/);
    // imported argon2i, argon2d and a two-lane argon2id verify, then move to the current scheme
    for (const options of [{ algorithm: 1 as const }, { algorithm: 0 as const }, { algorithm: 2 as const, parallelism: 2 }]) {
      const imported = hashSync('imported-argon2', { memoryCost: 512, timeCost: 1, ...options });
      assert.deepEqual(await h.verify('imported-argon2', imported), { ok: true, needsRehash: true }, imported);
      assert.deepEqual(await h.verify('imported-argon3', imported), { ok: false, needsRehash: false }, imported);
    }
  });

  it('treats malformed stored hashes as a failed check, after the same argon2id work', async () => {
    const cost = cheap(280);
    const h = hasher(cost);
    const valid = await h.hash('pw');
    const bcryptValid = bcrypt.hashSync('pw', 4);
    const malformed = [
      '', 'nonsense', '$argon2id$', valid.slice(0, -1) + '!', valid + '$x', valid.replace('m=280', 'm=99999999'),
      valid.replace('t=1', 't=999'), valid.replace('p=1', 'p=0'), valid.replace('v=19', 'v=20'), valid.replace('argon2id', 'argon2x'),
      // matches the pattern, but its hash is not valid base64 (17 characters): the library refuses to read it
      valid.replace(/\$[^$]+$/, `$${'A'.repeat(17)}`),
      '$2b$04$short', bcryptValid.slice(0, -1), bcryptValid + 'x', 'sha256$', 'sha256$garbage',
      `$2b$99$${bcryptValid.slice(7)}`, `$2b$03$${bcryptValid.slice(7)}`, `$2c$04$${bcryptValid.slice(7)}`, 'sha256$sha256$' + bcryptValid,
    ];
    const before = passwordChecksRun(argon2Scheme(cost));
    for (const stored of malformed) {
      assert.deepEqual(await h.verify('pw', stored), { ok: false, needsRehash: false }, `stored hash ${JSON.stringify(stored)}`);
    }
    // each one paid for a full check at the asked cost
    assert.equal(passwordChecksRun(argon2Scheme(cost)) - before, malformed.length);
  });

  it('answers 20 parallel verifies correctly on 2 threads', async () => {
    const h = hasher(cheap(256), 2);
    assert.equal(h.threads, 2);
    const passwords = ['alpha-one', 'bravo-two', 'charlie-three', 'delta-four'];
    const stored = await Promise.all(passwords.map((p) => h.hash(p)));
    const cases = Array.from({ length: 20 }, (_, i) => {
      const hashIndex = i % 4;
      const correct = i % 3 !== 0;
      const password = correct ? passwords[hashIndex]! : passwords[(hashIndex + 1) % 4]!;
      return { hash: stored[hashIndex]!, password, correct };
    });
    const results = await Promise.all(cases.map((c) => h.verify(c.password, c.hash)));
    assert.deepEqual(results.map((r) => r.ok), cases.map((c) => c.correct));
  });

  it('keeps the event loop responsive while 8 OWASP-cost hashes run', async () => {
    const h = hasher(OWASP_ARGON2ID, 2);
    let last = performance.now();
    let maxGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    try {
      const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => h.hash(`password-${i}`)));
      for (const stored of hashes) assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    } finally {
      clearInterval(timer);
    }
    maxGap = Math.max(maxGap, performance.now() - last);
    assert.ok(ticks > 10, `timer ticked only ${ticks} times`);
    assert.ok(maxGap < 200, `event loop stalled for ${maxGap.toFixed(0)} ms`);
  });

  it('rejects the job of a worker that dies and carries on with a new worker', async () => {
    // 64 MiB × 10 passes (~0.5 s a hash) so the kill surely lands before the worker could finish the job.
    const h = hasher(cheap(65_536, 10), 1);
    const postMessage = Worker.prototype.postMessage;
    // Simulates a crash mid-job: the worker is killed right after it is handed the job.
    Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
      Worker.prototype.postMessage = postMessage;
      postMessage.apply(this, args);
      void this.terminate();
    };
    try {
      await assert.rejects(h.hash('lost'), (err: Error) => err instanceof Error && /worker/.test(err.message));
    } finally {
      Worker.prototype.postMessage = postMessage;
    }
    const stored = await h.hash('survivor');
    assert.deepEqual(await h.verify('survivor', stored), { ok: true, needsRehash: false });
  });

  it('starts workers on first use and lets idle ones exit; the next job starts a new one', async () => {
    const h = createPasswordHasher({ cost: cheap(256), threads: 2, idleMs: 20 });
    open.push(h);
    assert.equal(h.workers, 0);
    const hashing = Promise.all(['a', 'b', 'c', 'd'].map((p) => h.hash(p)));
    assert.equal(h.workers, 2, 'four jobs start both workers at once');
    const stored = await hashing;
    await until(() => h.workers === 0);
    const verifying = h.verify('c', stored[2]);
    assert.equal(h.workers, 1);
    assert.deepEqual(await verifying, { ok: true, needsRehash: false });
  });

  it('inline (the CLI\'s): hashes, verifies, counts its checks and refuses an unknown account without a worker', async () => {
    const h = createPasswordHasher({ cost: cheap(272), inline: true });
    open.push(h);
    assert.equal(h.threads, 1);
    const before = passwordChecksRun(argon2Scheme(cheap(272)));
    const stored = await h.hash('in this thread');
    assert.match(stored, /^\$argon2id\$v=19\$m=272,t=1,p=1\$/);
    assert.deepEqual(await h.verify('in this thread', stored), { ok: true, needsRehash: false });
    assert.deepEqual(await h.verify('another', stored), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('anything', undefined), { ok: false, needsRehash: false });
    const legacy = bcrypt.hashSync('old password', 4);
    assert.deepEqual(await h.verify('old password', legacy), { ok: true, needsRehash: true });
    assert.equal(passwordChecksRun(argon2Scheme(cheap(272))) - before, 3);
    assert.equal(h.workers, 0);
    await h.close();
    await assert.rejects(h.hash('after close'), /closed/);
  });

  it('does not retire a worker while it runs a job, however short its idle time', async () => {
    // 64 MiB × 10 passes (~0.5 s a hash): far longer than the 1 ms the worker may stay idle
    const h = createPasswordHasher({ cost: cheap(65_536, 10), threads: 1, idleMs: 1 });
    open.push(h);
    const stored = await h.hash('long job');
    assert.deepEqual(await h.verify('long job', stored), { ok: true, needsRehash: false });
  });

  it('close() rejects queued and running jobs and refuses new ones', async () => {
    const h = createPasswordHasher({ cost: cheap(65_536, 10), threads: 1 });
    const pending = [h.hash('one'), h.hash('two')].map((job) => assert.rejects(job, /closed/));
    await h.close();
    await Promise.all(pending);
    await assert.rejects(h.hash('three'), /closed/);
    await assert.rejects(h.verify('three', undefined), /closed/);
    await h.close();
  });

  it('does not keep the process alive when the caller never closes it', async () => {
    const moduleUrl = new URL('../../src/accounts/password-hasher.js', import.meta.url).href;
    const dir = await mkdtemp(join(tmpdir(), 'tessera-hasher-'));
    const script = join(dir, 'no-close.mjs');
    await writeFile(script, `import { createPasswordHasher } from ${JSON.stringify(moduleUrl)};
      const h = createPasswordHasher({ cost: { memoryKiB: 256, timeCost: 1 }, threads: 2 });
      const ok = (await h.verify('pw', await h.hash('pw'))).ok;
      console.log(ok ? 'verified' : 'mismatch');`);
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [script], { timeout: 15_000 }, (err, out) => (err ? reject(err) : resolve(out)));
      });
      assert.equal(stdout.trim(), 'verified');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a cost outside its limits and a thread count below 1', async () => {
    for (const cost of [cheap(4), cheap(300_000), cheap(256, 0), cheap(256, 21), cheap(256.5), cheap(Number.NaN)]) {
      assert.throws(() => createPasswordHasher({ cost }), RangeError, JSON.stringify(cost));
    }
    assert.throws(() => createPasswordHasher({ threads: 0 }), RangeError);
    assert.throws(() => createPasswordHasher({ idleMs: -1 }), RangeError);
    const h = hasher(cheap(256));
    assert.equal(h.threads, availableParallelism());
    await assert.rejects(h.hash('pw', cheap(4)), RangeError);
    await assert.rejects(h.verify('pw', undefined, cheap(256, 99)), RangeError);
  });
});
