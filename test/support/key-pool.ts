// RS256 signing keys for the tenants that in-process servers and CLI commands create (and the keys they rotate in):
// a 2048-bit RSA key took about 0.15 CPU-seconds to generate on the 2-core machine, nearly all of a tenant's
// creation, and the suite creates hundreds of tenants. Every RSA key made here by the app's own generateSigningKey is
// kept — in this process, and in a file in the temp folder for later processes and runs — and handed out again, but
// never twice to one database: within a database every tenant and rotation still gets a key of its own (the kid is
// the table's key). ES256 and EdDSA keys are made fresh (about a millisecond each). Servers and commands started as
// processes make all their keys themselves.
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, type SigningKeyGenerator } from '../../src/tenants/signing-keys.js';

type Key = Awaited<ReturnType<SigningKeyGenerator>>;

const keptFile = join(tmpdir(), 'tessera-test-rs256-keys-v1.jsonl');
/** the file stops growing here: more keys than any one database of the suite takes */
const maxKept = 300;

let kept: Key[] | undefined;
/** kids handed out, by database URL */
const handedOut = new Map<string, Set<string>>();

/** the keys made so far; a line cut short (a process ended while writing it) is skipped */
function keptKeys(): Key[] {
  if (kept) return kept;
  kept = [];
  let text = '';
  try {
    text = readFileSync(keptFile, 'utf8');
  } catch {
    // none made yet on this machine
  }
  const kids = new Set<string>();
  for (const line of text.split('\n')) {
    let key: Partial<Key>;
    try {
      key = JSON.parse(line) as Partial<Key>;
    } catch {
      continue;
    }
    if (key.alg === 'RS256' && typeof key.kid === 'string' && typeof key.d === 'string' && !kids.has(key.kid)) {
      kids.add(key.kid);
      kept.push(key as Key);
    }
  }
  return kept;
}

/** signing keys for the database at `databaseUrl` (createTessera's and runTesseraCli's `generateSigningKey`) */
export function signingKeyGenerator(databaseUrl: string): SigningKeyGenerator {
  return async (alg) => {
    if (alg !== 'RS256') return generateSigningKey(alg);
    const used = handedOut.get(databaseUrl) ?? new Set<string>();
    handedOut.set(databaseUrl, used);
    const reused = keptKeys().find((key) => !used.has(key.kid));
    if (reused) {
      used.add(reused.kid);
      return { ...reused };
    }
    const made = await generateSigningKey(alg);
    used.add(made.kid);
    const all = keptKeys();
    all.push(made);
    if (all.length <= maxKept) appendFileSync(keptFile, `${JSON.stringify(made)}\n`, { mode: 0o600 });
    return { ...made };
  };
}
