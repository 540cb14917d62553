// Runs password hashing off the main thread: an argon2id hash holds a core for tens of milliseconds and bcryptjs
// is pure JavaScript, so either would otherwise stall the event loop on every login.
import { parentPort } from 'node:worker_threads';
import { runHashJob, type HashJob } from './password-hash-jobs.js';

if (!parentPort) throw new Error('password-hash.worker must run as a worker thread');
const port = parentPort;

// Only the message crosses back: it names the failing step, never the password.
port.on('message', (job: HashJob) => port.postMessage(runHashJob(job)));
