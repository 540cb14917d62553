// One thread of the password-hash baseline: verifies an argon2id hash continuously (warming up until the window
// opens) and counts the checks that finish inside the window — the same closed-loop counting the login bench uses.
import { parentPort, workerData } from 'node:worker_threads';
import { verifySync } from '@node-rs/argon2';

const { password, hash, windowStart, windowEnd } = workerData as { password: string; hash: string; windowStart: number; windowEnd: number };

let count = 0;
for (;;) {
  if (!verifySync(hash, password)) throw new Error('hash baseline: the password does not match its hash');
  const ended = Date.now();
  if (ended > windowEnd) break;
  if (ended >= windowStart) count++;
}
parentPort!.postMessage(count);
