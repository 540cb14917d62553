// Whether dist/ was built from the sources as they are now: a hash of every build input's path, size and
// modification time, kept in dist/.build-stamp by `npm run build` (`--record`). Cheap: no file is read.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** what `npm run build` reads; src/db/generated is its own output (prisma/generate.mjs) */
const inputs = ['src', 'test', 'prisma/schema.prisma', 'prisma/generate.mjs', 'tsconfig.json', 'tsconfig.sdk.json', 'package.json'];
const outputs = new Set(['src/db/generated']);

function* files(root, path) {
  const full = join(root, path);
  if (!existsSync(full)) return;
  const stat = statSync(full);
  if (!stat.isDirectory()) {
    yield `${path}\t${stat.size}\t${stat.mtimeMs}`;
    return;
  }
  for (const name of readdirSync(full).sort()) {
    const child = `${path}/${name}`;
    if (!outputs.has(child)) yield* files(root, child);
  }
}

export function sourceStamp(root) {
  const hash = createHash('sha256');
  for (const path of inputs) for (const line of files(root, path)) hash.update(`${line}\n`);
  return hash.digest('hex');
}

const stampFile = (root) => join(root, 'dist', '.build-stamp');

/** true when dist/ holds a build of the current sources */
export function isBuildCurrent(root) {
  if (!existsSync(join(root, 'dist', 'src', 'main.js')) || !existsSync(join(root, 'src', 'db', 'generated'))) return false;
  try {
    return readFileSync(stampFile(root), 'utf8').trim() === sourceStamp(root);
  } catch {
    return false;
  }
}

export function recordBuild(root, stamp = sourceStamp(root)) {
  writeFileSync(stampFile(root), `${stamp}\n`);
}

if (process.argv[2] === '--record') {
  recordBuild(process.cwd());
}
