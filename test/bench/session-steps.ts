// Bench steps on signed-in sessions, against Tessera's own rates of the same run: refresh-grant redemptions per
// second against the client_credentials rate (goal ≥ 0.6×), and the REST auth API's JSON password login
// (`/v1/auth/login`, issue 16) against the hosted form's code flow, both at the OWASP argon2id cost.
import { quietMachine, runJob } from './bench-jobs.js';
import { bareRefreshClientId } from './bare-refresh.js';
import { enableRestApi, otpApp, refreshClient, type BareTarget, type TesseraTarget } from './bench-setup.js';
import type { GoalRow } from './bench-report.js';
import type { SessionResult } from './load-generator.js';
import type { WindowUsage } from './proc-sampler.js';

export interface SessionStepInput {
  tessera: TesseraTarget;
  database: string;
  slug: string;
  users: { email: string; password: string }[];
  virtualUsers: number;
  warmupSeconds: number;
  durationSeconds: number;
  failures: string[];
}

const rate = (r: SessionResult, unit: string) => `${r.perSecond.toFixed(1)} ${unit}/s (p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms)`;

/** where each operation's CPU went: what a profile should look at first */
function cpuPer(usage: WindowUsage, r: SessionResult, unit: string): string {
  const ms = (cores: number) => ((cores / r.perSecond) * 1000).toFixed(1);
  return `CPU per ${unit}: server ${ms(usage.cpu.server)} ms, PostgreSQL ${ms(usage.cpu.postgres)} ms, Redis ${ms(usage.cpu.redis)} ms (server used ${usage.cpu.server.toFixed(2)} cores, others on the machine ${usage.cpu.other.toFixed(2)})`;
}

function failed(input: SessionStepInput, what: string, result: SessionResult): void {
  if (result.errors) input.failures.push(`${what}: ${result.errors} failed, first: ${result.firstError}`);
}

/** @param ccRate Tessera's client_credentials RS256 rate of this run, or null when that scenario did not run */
export async function measureRefresh(input: SessionStepInput, ccRate: number | null, connections: number): Promise<GoalRow> {
  const client = await refreshClient(input.tessera, input.slug);
  await quietMachine();
  process.stdout.write(`  refresh grant, ${connections} virtual users… `);
  const { result, usage, window } = await runJob<SessionResult>({
    kind: 'refreshes', issuer: input.tessera.rs256.issuer, clientId: client.client_id, clientSecret: client.client_secret,
    users: input.users, virtualUsers: connections, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds,
  }, input.tessera.server.pid, input.database);
  process.stdout.write(`${rate(result, 'refreshes')}\n`);
  failed(input, 'refresh grant', result);
  const ratio = ccRate ? result.perSecond / ccRate : null;
  return {
    measure: 'refresh grant vs client_credentials (RS256)',
    value: ratio === null ? `${result.perSecond.toFixed(0)}/s` : `${ratio.toFixed(2)}× (${result.perSecond.toFixed(0)} vs ${ccRate!.toFixed(0)}/s)`,
    goal: '≥ 0.6×',
    met: ratio === null ? null : ratio >= 0.6,
    window,
    note: `${rate(result, 'refreshes')}; ${connections} virtual users each redeeming its newest refresh token; ${cpuPer(usage, result, 'refresh')}`,
  };
}

/**
 * The bare library's own refresh grant against its own client_credentials rate (RS256, this run): the same rotation,
 * ID token and opaque access token as Tessera's refresh, on its in-memory adapter. What Tessera's ratio is read against.
 * @param ccRate the bare library's client_credentials RS256 rate of this run, or null when that scenario did not run
 */
export async function measureBareRefresh(input: { bare: BareTarget; database: string; warmupSeconds: number; durationSeconds: number; failures: string[] }, ccRate: number | null, connections: number): Promise<GoalRow> {
  const { bare } = input;
  await quietMachine();
  process.stdout.write(`  bare library's refresh grant, ${connections} virtual users… `);
  const { result, usage, window } = await runJob<SessionResult>({
    kind: 'refreshes', issuer: bare.rs256.issuer, clientId: bareRefreshClientId(bare.rs256.clientId), clientSecret: bare.rs256.clientSecret,
    mintUrl: bare.mintUrl(bare.rs256), users: [], virtualUsers: connections, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds,
  }, bare.server.pid, input.database);
  process.stdout.write(`${rate(result, 'refreshes')}\n`);
  if (result.errors) input.failures.push(`bare refresh grant: ${result.errors} failed, first: ${result.firstError}`);
  const ratio = ccRate ? result.perSecond / ccRate : null;
  return {
    measure: 'bare oidc-provider: its refresh grant vs its client_credentials (RS256)',
    value: ratio === null ? `${result.perSecond.toFixed(0)}/s` : `${ratio.toFixed(2)}× (${result.perSecond.toFixed(0)} vs ${ccRate!.toFixed(0)}/s)`,
    goal: 'reference',
    met: null,
    window,
    target: 'bare',
    note: `${rate(result, 'refreshes')}; in-memory adapter, every refresh rotated, ID token + opaque access token; ${cpuPer(usage, result, 'refresh')}`,
  };
}

/** @param codeFlowRate the hosted form's logins per second of this run, or null */
export async function measureJsonLogins(input: SessionStepInput, codeFlowRate: number | null): Promise<GoalRow> {
  await enableRestApi(input.tessera, input.slug);
  await quietMachine();
  process.stdout.write(`  REST /v1/auth/login, ${input.virtualUsers} virtual users… `);
  const { result, usage, window } = await runJob<SessionResult>({
    kind: 'json-logins', url: `${input.tessera.rs256.issuer}/v1/auth/login`,
    users: input.users, virtualUsers: input.virtualUsers, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds,
  }, input.tessera.server.pid, input.database);
  process.stdout.write(`${rate(result, 'logins')}\n`);
  failed(input, 'REST /v1/auth/login', result);
  return {
    measure: 'REST /v1/auth/login JSON password logins',
    value: `${result.perSecond.toFixed(1)}/s`,
    goal: 'measured (issue 16)',
    met: null,
    window,
    note: `${rate(result, 'logins')}; ${cpuPer(usage, result, 'login')}${codeFlowRate ? `; ${(result.perSecond / codeFlowRate).toFixed(2)}× the hosted code flow's ${codeFlowRate.toFixed(1)}/s` : ''}`,
  };
}

/** the backend OTP API: send-otp + verify-otp pairs per second, each verify minting tokens (issue 16) */
export async function measureOtpLogins(input: SessionStepInput): Promise<GoalRow> {
  const app = await otpApp(input.tessera, input.virtualUsers);
  await quietMachine();
  process.stdout.write(`  backend OTP API send-otp + verify-otp, ${input.virtualUsers} virtual users… `);
  const { result, usage, window } = await runJob<SessionResult>({
    kind: 'otp-logins', origin: new URL(input.tessera.rs256.issuer).origin, ...app,
    virtualUsers: input.virtualUsers, warmupSeconds: input.warmupSeconds, durationSeconds: input.durationSeconds,
  }, input.tessera.server.pid, input.database);
  process.stdout.write(`${rate(result, 'sign-ins')}\n`);
  failed(input, 'backend OTP API', result);
  return {
    measure: 'backend OTP API sign-ins (send-otp + verify-otp)',
    value: `${result.perSecond.toFixed(1)}/s`,
    goal: 'measured (issue 16)',
    met: null,
    window,
    note: `${rate(result, 'sign-ins')}; sandbox environment, fixed test codes, send limits raised for the bench; ${cpuPer(usage, result, 'sign-in')}`,
  };
}
