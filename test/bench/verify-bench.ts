// tessera/verify's speed against raw jose.jwtVerify on the same token, key and checks, in one process and one run
// (issue #18 §2: goal ≥ 0.9× jose's operations per second, p99 under 2 ms). Both verify sequentially in
// alternating 200 ms slices, so a machine that gets busier mid-run slows both alike. Part of `npm run bench`
// (BENCH_ONLY=verify for this alone, BENCH_VERIFY_SECONDS, default 4); `node dist/test/bench/verify-bench.js` runs it alone.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import * as jose from 'jose';
import { createVerifier } from '../../src/verify/index.js';
import { startStubIssuer } from '../support/stub-issuer.js';

export interface VerifyBenchResult {
  seconds: number;
  verifyOpsPerSecond: number;
  joseOpsPerSecond: number;
  ratio: number;
  verifyP99Ms: number;
  joseP99Ms: number;
  target: { ratio: number; p99Ms: number };
  met: boolean;
}

const p99 = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.99)] ?? 0;

export async function measureVerify(seconds = Number(process.env.BENCH_VERIFY_SECONDS ?? 4)): Promise<VerifyBenchResult> {
  const stub = await startStubIssuer();
  try {
    const token = await stub.sign({ exp: Math.floor(Date.now() / 1000) + 3600, permissions: ['read:notes'], roles: ['admin'] });
    const { verify } = createVerifier({ issuer: stub.issuer, audience: stub.audience });
    const jwks = jose.createLocalJWKSet({ keys: [stub.current().publicJwk] });
    const options = { issuer: stub.issuer, audience: stub.audience, typ: 'at+jwt', algorithms: ['RS256'], requiredClaims: ['exp', 'sub', 'client_id'], clockTolerance: 5 };
    const contenders = {
      verify: { run: () => verify(token), samples: [] as number[], busyMs: 0 },
      jose: { run: () => jose.jwtVerify(token, jwks, options), samples: [] as number[], busyMs: 0 },
    };
    for (const c of Object.values(contenders)) for (let i = 0; i < 200; i++) await c.run(); // warm-up: JIT and the key cache
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) {
      for (const c of Object.values(contenders)) {
        const sliceEnd = performance.now() + 200;
        while (performance.now() < sliceEnd) {
          const start = performance.now();
          await c.run();
          const took = performance.now() - start;
          c.samples.push(took);
          c.busyMs += took;
        }
      }
    }
    const rate = (c: { samples: number[]; busyMs: number }) => (c.samples.length / c.busyMs) * 1000;
    const verifyOps = rate(contenders.verify);
    const joseOps = rate(contenders.jose);
    const target = { ratio: 0.9, p99Ms: 2 };
    const result = {
      seconds,
      verifyOpsPerSecond: verifyOps,
      joseOpsPerSecond: joseOps,
      ratio: verifyOps / joseOps,
      verifyP99Ms: p99(contenders.verify.samples),
      joseP99Ms: p99(contenders.jose.samples),
      target,
    };
    return { ...result, met: result.ratio >= target.ratio && result.verifyP99Ms < target.p99Ms };
  } finally {
    await stub.close();
  }
}

export function verifyLine(r: VerifyBenchResult): string {
  return `tessera/verify: ${r.verifyOpsPerSecond.toFixed(0)} verify/s vs jose.jwtVerify ${r.joseOpsPerSecond.toFixed(0)}/s = ${r.ratio.toFixed(2)}× (goal ≥ ${r.target.ratio}×), p99 ${r.verifyP99Ms.toFixed(3)} ms (jose ${r.joseP99Ms.toFixed(3)} ms, goal < ${r.target.p99Ms} ms) — ${r.met ? 'met' : 'NOT met'}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${verifyLine(await measureVerify())}\n`);
}
