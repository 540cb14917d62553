// One thread of the bcrypt baseline: compares continuously (warming up until the window opens) and counts the
// compares that finish inside the window — the same closed-loop counting the login bench uses.
import { parentPort, workerData } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

const { password, hash, windowStart, windowEnd } = workerData as { password: string; hash: string; windowStart: number; windowEnd: number };

let count = 0;
for (;;) {
  if (!bcrypt.compareSync(password, hash)) throw new Error('bcrypt baseline: the password does not match its hash');
  const ended = Date.now();
  if (ended > windowEnd) break;
  if (ended >= windowStart) count++;
}
parentPort!.postMessage(count);
