// One password-hashing job, run where the hasher puts it: in a worker thread (password-hash.worker.ts) for a
// server, whose event loop must stay free, or in the caller's own thread for a one-shot command (password-hasher.ts,
// `inline`).
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

/** the job's reply; a library's failure becomes an error reply that names the failing step, never the password */
export function runHashJob(job: HashJob): HashReply {
  try {
    return run(job);
  } catch (err) {
    return { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
}
