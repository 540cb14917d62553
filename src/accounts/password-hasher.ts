// Password hashing for every way a password is set or checked: argon2id (OWASP parameters by default, per tenant
// within safe bounds) in a small worker pool, so a login never blocks the event loop. Workers start on first use
// and exit after `idleMs` without a job: each is a V8 isolate of its own (about 10 MB, more after an argon2id run
// at OWASP cost), which an idle server should not keep. bcrypt hashes from before
// (or imported) still verify, and a successful check asks for a rehash to argon2id. An unknown account costs the
// same argon2id work as a known one, so timing does not reveal accounts. A one-shot command (the CLI) hashes `inline`,
// in its own thread: it has no event loop to keep free, and starting a worker costs more CPU (about 0.1 s) than the
// hash it would run.
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ARGON2_LIMITS, OWASP_ARGON2ID, type Argon2Cost } from '../config/argon2-cost.js';
import type { Argon2Params, HashJob, HashReply, HashRequest } from './password-hash-jobs.js';

export type { Argon2Cost } from '../config/argon2-cost.js';

export interface PasswordCheck { ok: boolean; needsRehash: boolean }

export interface PasswordHasher {
  /** an argon2id hash at `cost` (default: the configured one) */
  hash(password: string, cost?: Argon2Cost): Promise<string>;
  /** Compares in constant work whether or not a hash exists: with `hash` undefined (unknown account) or unusable it
   *  verifies against a dummy argon2id hash at `cost` and returns ok:false, so timing does not reveal accounts.
   *  needsRehash: the password matched a hash that is not argon2id at `cost`. */
  verify(password: string, hash: string | undefined | null, cost?: Argon2Cost): Promise<PasswordCheck>;
  readonly threads: number;
  /** workers running now: none until the first job, and none again once every worker has been idle for `idleMs` */
  readonly workers: number;
  close(): Promise<void>;
}

/** Marks a bcrypt hash of base64(sha256(password)): how passwords over bcrypt's 72-byte limit were stored before
 *  argon2id. base64 kept NUL bytes out of bcrypt's C-string key. */
const PREHASH_PREFIX = 'sha256$';
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const ARGON2_HASH = /^\$argon2(id|i|d)\$v=(16|19)\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,86}$/;
/** Stored (e.g. imported) hashes above these costs are refused: bcrypt allows 31 and argon2 gigabytes, which would
 *  pin a worker (or the memory) for a long time on a single login attempt. */
const MAX_STORED_BCRYPT_COST = 20;
const MAX_STORED_ARGON2 = { memoryKiB: 1_048_576, timeCost: 64, parallelism: 16 };

type Stored =
  | { kind: 'argon2'; hash: string; variant: string; version: number; params: Argon2Params }
  | { kind: 'bcrypt'; hash: string; prehashed: boolean; cost: number };

const checksByScheme = new Map<string, number>();

/** the key under which `passwordChecksRun` counts a verification of an argon2id hash at `cost` */
export const argon2Scheme = (cost: Argon2Cost) => `argon2id m=${cost.memoryKiB},t=${cost.timeCost},p=1`;
/** the key under which `passwordChecksRun` counts a bcrypt compare at `cost` */
export const bcryptScheme = (cost: number) => `bcrypt ${cost}`;

/** How many verifications of a scheme (argon2Scheme / bcryptScheme) the workers of this process have finished. For
 *  tests: it proves an unknown account or a malformed hash still pays for a real check, without timing anything. */
export function passwordChecksRun(scheme: string): number {
  return checksByScheme.get(scheme) ?? 0;
}

interface Job { message: HashJob; resolve(reply: HashReply): void; reject(err: Error): void }
interface Slot { worker: Worker; job: Job | null; dead: boolean; idleTimer: NodeJS.Timeout | null }

/** how long a worker may wait for a job before it exits (the next job starts a new one, in tens of milliseconds) */
export const DEFAULT_WORKER_IDLE_MS = 30_000;

export interface PasswordHasherOptions {
  cost?: Argon2Cost;
  /** worker threads at most (default: the cores) */
  threads?: number;
  /** how long an idle worker waits for a job before it exits */
  idleMs?: number;
  /** every job in the caller's thread, one at a time, and no worker (`threads` is 1): for one-shot commands */
  inline?: boolean;
}

/** Throws RangeError when `cost` is outside ARGON2_LIMITS, `threads` is not a positive integer or `idleMs` is negative. */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const defaultCost = checkedCost(options.cost ?? OWASP_ARGON2ID);
  const inline = options.inline === true;
  const threads = inline ? 1 : options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`password hasher threads must be a positive integer, got ${threads}`);
  }
  const idleMs = options.idleMs ?? DEFAULT_WORKER_IDLE_MS;
  if (!Number.isFinite(idleMs) || idleMs < 0) throw new RangeError(`password hasher idleMs must be a non-negative number, got ${idleMs}`);

  const workerUrl = new URL('./password-hash.worker.js', import.meta.url);
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(workerUrl), job: null, dead: false, idleTimer: null };
    // Idle workers must not keep the process alive; a busy one is ref'd until its job settles.
    slot.worker.unref();
    slot.worker.on('message', (reply: HashReply) => {
      const job = slot.job;
      slot.job = null;
      slot.worker.unref();
      job?.resolve(reply);
      dispatch();
      if (!slot.job && !slot.dead) idleSoon(slot);
    });
    slot.worker.on('error', (err) => retire(slot, err));
    slot.worker.on('exit', (code) => retire(slot, new Error(`password hash worker exited with code ${code}`)));
    slots.push(slot);
    return slot;
  }

  // The timer does not keep the process alive; a job handed to the worker first clears it (dispatch).
  function idleSoon(slot: Slot): void {
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = null;
      if (slot.dead || slot.job) return;
      slot.dead = true;
      slots.splice(slots.indexOf(slot), 1);
      void slot.worker.terminate();
    }, idleMs);
    slot.idleTimer.unref();
  }

  // A worker that crashed or exited takes only its own job down; dispatch() starts a replacement.
  function retire(slot: Slot, cause: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
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
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.message);
    }
  }

  // argon2's native module and bcryptjs load with the first inline job, as a worker loads them when it starts
  let jobs: Promise<typeof import('./password-hash-jobs.js')> | undefined;
  async function runInline(message: HashRequest): Promise<HashReply> {
    const { runHashJob } = await (jobs ??= import('./password-hash-jobs.js'));
    if (closed) throw new Error('password hasher is closed');
    return runHashJob({ ...message, id: nextId++ });
  }

  function run(message: HashRequest): Promise<HashReply> {
    if (closed) return Promise.reject(new Error('password hasher is closed'));
    if (inline) return runInline(message);
    return new Promise<HashReply>((resolve, reject) => {
      queue.push({ message: { ...message, id: nextId++ }, resolve, reject });
      dispatch();
    });
  }

  /** @returns whether the password matched, or null when the library could not read the stored hash */
  async function check(scheme: string, request: HashRequest): Promise<boolean | null> {
    const reply = await run(request);
    if ('error' in reply) return null;
    if (reply.op !== 'verify') throw new Error('password check failed: unexpected reply');
    checksByScheme.set(scheme, passwordChecksRun(scheme) + 1);
    return reply.match;
  }

  // Unknown account or unusable hash: the same work as a real check at this cost, and never a match.
  async function refuse(target: Argon2Cost): Promise<PasswordCheck> {
    const matched = await check(argon2Scheme(target), { op: 'verify-argon2', password: '', hash: dummyHash(target) });
    if (matched === null) throw new Error('password check failed: the dummy hash was refused');
    return { ok: false, needsRehash: false };
  }

  return {
    threads,
    get workers() {
      return slots.length;
    },

    async hash(password, cost = defaultCost) {
      const { memoryKiB, timeCost } = checkedCost(cost);
      const reply = await run({ op: 'hash', password, params: { memoryKiB, timeCost, parallelism: 1 } });
      if (!('op' in reply) || reply.op !== 'hash') throw new Error(`password hash failed: ${errorOf(reply)}`);
      return reply.hash;
    },

    async verify(password, storedHash, cost = defaultCost) {
      const target = checkedCost(cost);
      const stored = parseStoredHash(storedHash);
      if (!stored) return refuse(target);
      if (stored.kind === 'bcrypt') {
        const ok = await check(bcryptScheme(stored.cost), { op: 'verify-bcrypt', password: stored.prehashed ? prehash(password) : password, hash: stored.hash });
        if (ok === null) return refuse(target);
        // A truncating bcrypt (a >72-byte password against a plain hash) or not: every bcrypt hash moves to argon2id.
        return { ok, needsRehash: ok };
      }
      const { params } = stored;
      const scheme = stored.variant === 'id' && params.parallelism === 1 ? argon2Scheme(params) : `argon2${stored.variant} m=${params.memoryKiB},t=${params.timeCost},p=${params.parallelism}`;
      const ok = await check(scheme, { op: 'verify-argon2', password, hash: stored.hash });
      // well-formed to our pattern but not to the library (bad base64, say): a failed check at full cost, not a 500
      if (ok === null) return refuse(target);
      const current = stored.variant === 'id' && stored.version === 19 && params.parallelism === 1
        && params.memoryKiB === target.memoryKiB && params.timeCost === target.timeCost;
      return { ok, needsRehash: ok && !current };
    },

    async close() {
      if (closed) return;
      closed = true;
      const error = new Error('password hasher is closed');
      for (const job of queue.splice(0)) job.reject(error);
      const running = slots.splice(0);
      for (const slot of running) {
        slot.dead = true;
        if (slot.idleTimer) clearTimeout(slot.idleTimer);
        slot.job?.reject(error);
        slot.job = null;
      }
      await Promise.all(running.map((slot) => slot.worker.terminate()));
    },
  };
}

function checkedCost(cost: Argon2Cost): Argon2Cost {
  const { memoryKiB, timeCost } = cost;
  const L = ARGON2_LIMITS;
  if (!Number.isInteger(memoryKiB) || memoryKiB < L.minMemoryKiB || memoryKiB > L.maxMemoryKiB
    || !Number.isInteger(timeCost) || timeCost < L.minTimeCost || timeCost > L.maxTimeCost) {
    throw new RangeError(`argon2 cost must be integers: memoryKiB ${L.minMemoryKiB}..${L.maxMemoryKiB}, timeCost ${L.minTimeCost}..${L.maxTimeCost}; got ${memoryKiB}, ${timeCost}`);
  }
  return { memoryKiB, timeCost };
}

/** A well-formed argon2id hash at `cost` that no password matches in practice: verifying against it costs exactly
 *  what a real verification costs, and building it needs no argon2 run. */
function dummyHash(cost: Argon2Cost): string {
  const b64 = (bytes: number) => randomBytes(bytes).toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=${cost.memoryKiB},t=${cost.timeCost},p=1$${b64(16)}$${b64(32)}`;
}

function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}

function parseStoredHash(stored: string | undefined | null): Stored | null {
  if (typeof stored !== 'string') return null;
  const argon2 = ARGON2_HASH.exec(stored);
  if (argon2) {
    const params = { memoryKiB: Number(argon2[3]), timeCost: Number(argon2[4]), parallelism: Number(argon2[5]) };
    const max = MAX_STORED_ARGON2;
    if (params.parallelism < 1 || params.parallelism > max.parallelism || params.timeCost < 1 || params.timeCost > max.timeCost
      || params.memoryKiB < 8 * params.parallelism || params.memoryKiB > max.memoryKiB) return null;
    return { kind: 'argon2', hash: stored, variant: argon2[1]!, version: Number(argon2[2]), params };
  }
  const prehashed = stored.startsWith(PREHASH_PREFIX);
  const bcrypt = prehashed ? stored.slice(PREHASH_PREFIX.length) : stored;
  const match = BCRYPT_HASH.exec(bcrypt);
  if (!match) return null;
  const cost = Number(match[1]);
  if (cost < 4 || cost > MAX_STORED_BCRYPT_COST) return null;
  return { kind: 'bcrypt', hash: bcrypt, prehashed, cost };
}

function errorOf(reply: HashReply): string {
  return 'error' in reply ? reply.error : 'unexpected reply';
}
