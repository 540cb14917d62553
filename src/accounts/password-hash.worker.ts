// Runs password hashing off the main thread: an argon2id hash holds a core for tens of milliseconds and bcryptjs
// is pure JavaScript, so either would otherwise stall the event loop on every login.
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

export interface Argon2Params { memoryKiB: number; timeCost: number; parallelism: number }

export type HashRequest =
  | { op: 'hash'; password: string; params: Argon2Params }
  | { op: 'verify-argon2'; password: string; hash: string }
  | { op: 'verify-bcrypt'; password: string; hash: string };
export type HashJob = HashRequest & { id: number };

export type HashReply =
  | { id: number; op: 'hash'; hash: string }
  | { id: number; op: 'verify'; match: boolean }
  | { id: number; error: string };

/** `algorithm: 2` is Argon2id (the package's const enum, which isolated modules cannot import) */
const ARGON2ID = 2;

if (!parentPort) throw new Error('password-hash.worker must run as a worker thread');
const port = parentPort;

function run(job: HashJob): HashReply {
  switch (job.op) {
    case 'hash': {
      const { memoryKiB, timeCost, parallelism } = job.params;
      return { id: job.id, op: 'hash', hash: hashSync(job.password, { algorithm: ARGON2ID, memoryCost: memoryKiB, timeCost, parallelism }) };
    }
    case 'verify-argon2':
      return { id: job.id, op: 'verify', match: verifySync(job.hash, job.password) };
    case 'verify-bcrypt':
      return { id: job.id, op: 'verify', match: bcrypt.compareSync(job.password, job.hash) };
  }
}

port.on('message', (job: HashJob) => {
  let reply: HashReply;
  try {
    reply = run(job);
  } catch (err) {
    // Only the message crosses back: it names the failing step, never the password.
    reply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
