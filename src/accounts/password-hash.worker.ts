// Runs bcrypt off the main thread: bcryptjs is pure JavaScript, so a cost-10 compare would otherwise
// hold the event loop for tens of milliseconds on every login.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export type HashRequest =
  | { op: 'hash'; password: string; cost: number }
  | { op: 'compare'; password: string; hash: string };
export type HashJob = HashRequest & { id: number };

export type HashReply =
  | { id: number; op: 'hash'; hash: string }
  | { id: number; op: 'compare'; match: boolean; cost: number }
  | { id: number; error: string };

if (!parentPort) throw new Error('password-hash.worker must run as a worker thread');
const port = parentPort;

port.on('message', (job: HashJob) => {
  let reply: HashReply;
  try {
    reply = job.op === 'hash'
      ? { id: job.id, op: 'hash', hash: bcrypt.hashSync(job.password, bcrypt.genSaltSync(job.cost)) }
      // The cost is reported back so callers (and tests) can see a compare really ran at that cost.
      : { id: job.id, op: 'compare', match: bcrypt.compareSync(job.password, job.hash), cost: bcrypt.getRounds(job.hash) };
  } catch (err) {
    // Only the message crosses back: it names the failing step, never the password.
    reply = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
