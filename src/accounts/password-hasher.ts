// Password hashing for the hosted login: bcrypt (bcryptjs) in a small worker pool, so a login never
// blocks the event loop and an unknown account costs the same bcrypt work as a known one.
import { createHash, randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashJob, HashReply, HashRequest } from './password-hash.worker.js';

export interface PasswordCheck { ok: boolean; needsRehash: boolean }

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Compares in constant work whether or not a hash exists: with `hash` undefined (unknown account) it compares
   *  against a fixed dummy hash of the configured cost and returns ok:false, so timing does not reveal accounts. */
  verify(password: string, hash: string | undefined | null): Promise<PasswordCheck>;
  readonly threads: number;
  close(): Promise<void>;
}

export const MIN_BCRYPT_COST = 4;
export const MAX_BCRYPT_COST = 15;

/** bcrypt reads only the first 72 bytes of its key; longer passwords are pre-hashed so every byte counts. */
const BCRYPT_MAX_BYTES = 72;
/** Marks a bcrypt hash of base64(sha256(password)). base64 keeps NUL bytes out of bcrypt's C-string key. */
const PREHASH_PREFIX = 'sha256$';
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Stored (e.g. imported) hashes above this cost are refused: bcrypt allows 31, which would pin a worker
 *  for days on a single login attempt. */
const MAX_STORED_COST = 20;

const comparesByCost = new Map<number, number>();

/** How many bcrypt compares at `cost` the workers of this process have finished. For tests: it proves an
 *  unknown account or a malformed hash still pays for a real compare, without timing anything. */
export function bcryptComparesRun(cost: number): number {
  return comparesByCost.get(cost) ?? 0;
}

interface Job { message: HashJob; resolve(reply: HashReply): void; reject(err: Error): void }
interface Slot { worker: Worker; job: Job | null; dead: boolean }

/** Throws RangeError when `cost` is not an integer in 4..15 or `threads` is not a positive integer. */
export function createPasswordHasher(options: { cost: number; threads?: number }): PasswordHasher {
  const { cost } = options;
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new RangeError(`bcrypt cost must be an integer from ${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST}, got ${cost}`);
  }
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`password hasher threads must be a positive integer, got ${threads}`);
  }

  // A syntactically valid hash at the configured cost that no password matches in practice: comparing
  // against it costs exactly what a real compare costs, and building it needs no bcrypt run at startup.
  const dummyHash = `$2b$${String(cost).padStart(2, '0')}$${randomBcryptChars(53)}`;
  const workerUrl = new URL('./password-hash.worker.js', import.meta.url);
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(workerUrl), job: null, dead: false };
    // Idle workers must not keep the process alive; a busy one is ref'd until its job settles.
    slot.worker.unref();
    slot.worker.on('message', (reply: HashReply) => {
      const job = slot.job;
      slot.job = null;
      slot.worker.unref();
      job?.resolve(reply);
      dispatch();
    });
    slot.worker.on('error', (err) => retire(slot, err));
    slot.worker.on('exit', (code) => retire(slot, new Error(`password hash worker exited with code ${code}`)));
    slots.push(slot);
    return slot;
  }

  // A worker that crashed or exited takes only its own job down; dispatch() starts a replacement.
  function retire(slot: Slot, cause: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    slots.splice(slots.indexOf(slot), 1);
    const job = slot.job;
    slot.job = null;
    job?.reject(new Error('password hash worker failed', { cause }));
    if (!closed) {
      void slot.worker.terminate();
      dispatch();
    }
  }

  function dispatch(): void {
    while (queue.length > 0 && !closed) {
      const slot = slots.find((s) => s.job === null) ?? (slots.length < threads ? spawn() : undefined);
      if (!slot) return;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.message);
    }
  }

  function run(message: HashRequest): Promise<HashReply> {
    if (closed) return Promise.reject(new Error('password hasher is closed'));
    return new Promise<HashReply>((resolve, reject) => {
      queue.push({ message: { ...message, id: nextId++ }, resolve, reject });
      dispatch();
    });
  }

  async function compare(password: string, hash: string): Promise<boolean> {
    const reply = await run({ op: 'compare', password, hash });
    if (!('op' in reply) || reply.op !== 'compare') throw new Error(`password compare failed: ${errorOf(reply)}`);
    comparesByCost.set(reply.cost, bcryptComparesRun(reply.cost) + 1);
    return reply.match;
  }

  return {
    threads,

    async hash(password) {
      const long = Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES;
      const reply = await run({ op: 'hash', password: long ? prehash(password) : password, cost });
      if (!('op' in reply) || reply.op !== 'hash') throw new Error(`password hash failed: ${errorOf(reply)}`);
      return long ? PREHASH_PREFIX + reply.hash : reply.hash;
    },

    async verify(password, stored) {
      const parsed = parseStoredHash(stored);
      const long = Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES;
      if (!parsed) {
        // Unknown account or unusable hash: same work as a real check, and never a match.
        await compare(long ? prehash(password) : password, dummyHash);
        return { ok: false, needsRehash: false };
      }
      const ok = await compare(parsed.prehashed ? prehash(password) : password, parsed.bcrypt);
      // A plain hash checked with a >72-byte password came from a system that truncated it (an import):
      // re-hashing it now moves the account to the scheme that uses every byte.
      const needsRehash = ok && (parsed.cost !== cost || (long && !parsed.prehashed));
      return { ok, needsRehash };
    },

    async close() {
      if (closed) return;
      closed = true;
      const error = new Error('password hasher is closed');
      for (const job of queue.splice(0)) job.reject(error);
      const running = slots.splice(0);
      for (const slot of running) {
        slot.dead = true;
        slot.job?.reject(error);
        slot.job = null;
      }
      await Promise.all(running.map((slot) => slot.worker.terminate()));
    },
  };
}

function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}

function parseStoredHash(stored: string | undefined | null): { bcrypt: string; prehashed: boolean; cost: number } | null {
  if (typeof stored !== 'string') return null;
  const prehashed = stored.startsWith(PREHASH_PREFIX);
  const bcrypt = prehashed ? stored.slice(PREHASH_PREFIX.length) : stored;
  const match = BCRYPT_HASH.exec(bcrypt);
  if (!match) return null;
  const cost = Number(match[1]);
  if (cost < MIN_BCRYPT_COST || cost > MAX_STORED_COST) return null;
  return { bcrypt, prehashed, cost };
}

function randomBcryptChars(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BCRYPT_ALPHABET[randomInt(BCRYPT_ALPHABET.length)];
  return out;
}

function errorOf(reply: HashReply): string {
  return 'error' in reply ? reply.error : 'unexpected reply';
}
