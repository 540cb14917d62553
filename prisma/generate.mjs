// Generates the Prisma client into src/db/generated without the native schema engine.
// `prisma generate` needs no engine, but the CLI tries to download one unless
// PRISMA_SCHEMA_ENGINE_BINARY names an existing file; this machine (and many CI boxes)
// cannot reach Prisma's binary host, so we point it at this very file.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? here, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
const result = spawnSync(process.execPath, [fileURLToPath(new URL('../node_modules/prisma/build/index.js', import.meta.url)), 'generate', '--schema', fileURLToPath(new URL('./schema.prisma', import.meta.url))], { env, stdio: ['ignore', 'ignore', 'inherit'] });
process.exit(result.status ?? 1);
