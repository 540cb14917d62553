// test-group: serial (measures event-loop stalls while bcrypt runs on every core: other files running alongside would distort it)
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { bcryptComparesRun, createPasswordHasher, type PasswordHasher } from '../../src/accounts/password-hasher.js';

const open: PasswordHasher[] = [];
function hasher(cost: number, threads?: number): PasswordHasher {
  const h = createPasswordHasher({ cost, threads });
  open.push(h);
  return h;
}
after(() => Promise.all(open.map((h) => h.close())));

describe('password hasher', () => {
  it('hashes with bcrypt at the configured cost and verifies the same password', async () => {
    const h = hasher(4);
    const stored = await h.hash('correct horse battery staple');
    assert.match(stored, /^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    assert.deepEqual(await h.verify('correct horse battery staple', stored), { ok: true, needsRehash: false });
  });

  it('rejects a wrong password', async () => {
    const h = hasher(4);
    const stored = await h.hash('correct horse battery staple');
    assert.deepEqual(await h.verify('correct horse battery stapler', stored), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('', stored), { ok: false, needsRehash: false });
  });

  it('runs a real bcrypt compare at the configured cost for an unknown account', async () => {
    const h = hasher(5);
    const before = bcryptComparesRun(5);
    assert.deepEqual(await h.verify('anything at all', undefined), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('anything at all', null), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify('x'.repeat(100), undefined), { ok: false, needsRehash: false });
    assert.equal(bcryptComparesRun(5) - before, 3);
  });

  it('asks for a rehash when the stored cost differs from the configured one', async () => {
    const stored = await hasher(4).hash('s3cret-passphrase');
    const h5 = hasher(5);
    assert.deepEqual(await h5.verify('s3cret-passphrase', stored), { ok: true, needsRehash: true });
    assert.deepEqual(await h5.verify('wrong-passphrase', stored), { ok: false, needsRehash: false });
    const rehashed = await h5.hash('s3cret-passphrase');
    assert.match(rehashed, /^\$2b\$05\$/);
    assert.deepEqual(await h5.verify('s3cret-passphrase', rehashed), { ok: true, needsRehash: false });
  });

  it('keeps passwords longer than 72 bytes apart when they share the first 72 bytes', async () => {
    const h = hasher(4);
    const a = 'x'.repeat(72) + 'A';
    const b = 'x'.repeat(72) + 'B';
    const stored = await h.hash(a);
    assert.match(stored, /^sha256\$\$2b\$04\$[./A-Za-z0-9]{53}$/);
    assert.deepEqual(await h.verify(a, stored), { ok: true, needsRehash: false });
    assert.equal((await h.verify(b, stored)).ok, false);
    assert.equal((await h.verify('x'.repeat(72), stored)).ok, false);

    // 36 × "é" is exactly 72 UTF-8 bytes (but 36 UTF-16 units): one more character crosses the limit.
    const accented = 'é'.repeat(36);
    assert.match(await h.hash(accented), /^\$2b\$/);
    const longer = await h.hash(accented + 'a');
    assert.match(longer, /^sha256\$/);
    assert.equal((await h.verify(accented + 'b', longer)).ok, false);
    assert.equal((await h.verify(accented + 'a', longer)).ok, true);
  });

  it('verifies plain imported $2a$/$2b$/$2y$ hashes as they are', async () => {
    const h = hasher(4);
    const salt = bcrypt.genSaltSync(4).slice(7);
    for (const version of ['2a', '2b', '2y']) {
      const imported = bcrypt.hashSync('imported-pass', `$${version}$04$${salt}`);
      assert.ok(imported.startsWith(`$${version}$04$`));
      assert.deepEqual(await h.verify('imported-pass', imported), { ok: true, needsRehash: false });
      assert.equal((await h.verify('imported-pas', imported)).ok, false);
    }
    // A system that truncated at 72 bytes: accept as before, then move the account to the full-length scheme.
    const long = 'y'.repeat(80);
    const truncated = bcrypt.hashSync(long, bcrypt.genSaltSync(4));
    assert.deepEqual(await h.verify(long, truncated), { ok: true, needsRehash: true });
  });

  it('treats malformed stored hashes as a failed check, after the same compare work', async () => {
    const h = hasher(4);
    const valid = await h.hash('pw');
    const malformed = [
      '', 'nonsense', '$2b$04$short', valid.slice(0, -1), valid + 'x', 'sha256$', 'sha256$garbage',
      `$2b$99$${valid.slice(7)}`, `$2b$03$${valid.slice(7)}`, `$2c$04$${valid.slice(7)}`, `$1$${valid.slice(3)}`,
      `$2b$04$${'!'.repeat(53)}`, 'sha256$sha256$' + valid,
    ];
    const before = bcryptComparesRun(4);
    for (const stored of malformed) {
      assert.deepEqual(await h.verify('pw', stored), { ok: false, needsRehash: false }, `stored hash ${JSON.stringify(stored)}`);
    }
    assert.equal(bcryptComparesRun(4) - before, malformed.length);
  });

  it('answers 20 parallel verifies correctly on 2 threads', async () => {
    const h = hasher(4, 2);
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

  it('keeps the event loop responsive while 8 cost-12 hashes run', async () => {
    const h = hasher(12, 2);
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
      for (const stored of hashes) assert.match(stored, /^\$2b\$12\$/);
    } finally {
      clearInterval(timer);
    }
    maxGap = Math.max(maxGap, performance.now() - last);
    assert.ok(ticks > 10, `timer ticked only ${ticks} times`);
    assert.ok(maxGap < 200, `event loop stalled for ${maxGap.toFixed(0)} ms`);
  });

  it('rejects the job of a worker that dies and carries on with a new worker', async () => {
    // Cost 12 (~0.3 s a hash) so the kill surely lands before the worker could finish the job.
    const h = hasher(12, 1);
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

  it('close() rejects queued and running jobs and refuses new ones', async () => {
    const h = createPasswordHasher({ cost: 12, threads: 1 });
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
      const h = createPasswordHasher({ cost: 4, threads: 2 });
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

  it('refuses a cost outside 4..15 and a thread count below 1', () => {
    for (const cost of [3, 16, 10.5, Number.NaN]) assert.throws(() => createPasswordHasher({ cost }), RangeError);
    assert.throws(() => createPasswordHasher({ cost: 10, threads: 0 }), RangeError);
    assert.equal(hasher(10).threads, availableParallelism());
  });
});
