// `npm start`'s first step, before anything slow: is the port free (else say so and stop), and is dist/ a build
// of the current sources (else build it)? The server checks the port again when it binds: this only spares a
// newcomer a 20-second build that ends in "port in use".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { isBuildCurrent, recordBuild, sourceStamp } from './build-stamp.mjs';

const root = process.cwd();

/** PORT and HOST as the server reads them: the environment first, then .env (src/config/environment.ts) */
function setting(key) {
  if (process.env[key]) return process.env[key];
  if (!existsSync('.env')) return undefined;
  for (const line of readFileSync('.env', 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match?.[1] === key) return match[2].replace(/^(['"])(.*)\1.*$/, '$2').replace(/\s+#.*$/, '') || undefined;
  }
  return undefined;
}

function portIsFree(port, host) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

const port = Number(setting('PORT') ?? 3000);
const host = setting('HOST');
if (Number.isInteger(port) && port > 0 && port < 65536) {
  let free = true;
  try {
    free = await portIsFree(port, host);
  } catch {
    // anything but "in use" (a bad HOST, no permission) is the server's to report, with its own message
  }
  if (!free) {
    process.stderr.write(`Tessera cannot start: ${host ?? 'all interfaces'} port ${port} is already in use (another Tessera?). Stop that process or set PORT.\n`);
    process.exit(1);
  }
}

if (!isBuildCurrent(root)) {
  const stamp = sourceStamp(root);
  process.stderr.write('Building (the sources changed since the last build)…\n');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // the sources as they were when the build began: a file saved during the build makes the next start rebuild
  recordBuild(root, stamp);
}
