// The load generator's session jobs, each a closed loop of virtual users (closed-loop.ts):
//   logins      — the full code flow through the hosted login form, a fresh cookie jar per login
//   refreshes   — each virtual user signs in once (offline_access), then redeems its newest refresh token again and again;
//                 with `mintUrl` (the bare library) its first refresh token is minted there instead of signed in for
//   json-logins — `POST {issuer}/v1/auth/login {email, password}` (the REST auth API), tokens in the answer
//   otp-logins  — the backend OTP API: `POST /auth/send-otp`, then `POST /auth/verify-otp` with the sandbox environment's
//                 fixed test code for that recipient (signIn.testRecipients), tokens in the answer
import { Browser } from '../support/browser.js';
import { codeFlow, discover, oidc, signInOffline } from '../support/relying-party.js';
import { closedLoop, type ClosedLoopJob, type ClosedLoopResult } from './closed-loop.js';

interface Users { users: { email: string; password: string }[] }
export interface LoginJob extends ClosedLoopJob, Users { kind: 'logins'; issuer: string; clientId: string; clientSecret: string; redirectUri: string }
export interface RefreshJob extends ClosedLoopJob, Users { kind: 'refreshes'; issuer: string; clientId: string; clientSecret: string; mintUrl?: string }
export interface JsonLoginJob extends ClosedLoopJob, Users { kind: 'json-logins'; url: string }
export interface OtpLoginJob extends ClosedLoopJob { kind: 'otp-logins'; origin: string; appId: string; appSecret: string; recipients: string[]; code: string }
export type SessionJob = LoginJob | RefreshJob | JsonLoginJob | OtpLoginJob;

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function minted(url: string): Promise<string> {
  const response = await fetch(url, { method: 'POST' });
  const token = await response.text();
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${token.slice(0, 300)}`);
  return token;
}

const userOf = (job: Users, index: number) => job.users[index % job.users.length]!;

export async function runSessionJob(job: SessionJob): Promise<ClosedLoopResult> {
  if (job.kind === 'logins') {
    const config = await discover(job.issuer, job.clientId, job.clientSecret);
    return closedLoop(job, async (i) => userOf(job, i), async (user) => {
      const { tokens } = await codeFlow(config, job.redirectUri, user, { browser: new Browser() });
      if (!tokens.id_token || !tokens.access_token) throw new Error('token response without id_token or access_token');
    });
  }
  if (job.kind === 'refreshes') {
    const config = await discover(job.issuer, job.clientId, job.clientSecret);
    const first = async (i: number) => job.mintUrl ? minted(job.mintUrl) : (await signInOffline(config, userOf(job, i))).refresh_token!;
    return closedLoop(job, async (i) => ({ token: await first(i) }), async (state) => {
      const tokens = await oidc.refreshTokenGrant(config, state.token);
      if (!tokens.access_token) throw new Error('refresh answered without an access token');
      // a rotated family continues with its successor; an unrotated token stays valid
      state.token = tokens.refresh_token ?? state.token;
    });
  }
  if (job.kind === 'otp-logins') {
    const credentials = { app_id: job.appId, app_secret: job.appSecret };
    return closedLoop(job, async (i) => job.recipients[i % job.recipients.length]!, async (email) => {
      const sent = await postJson(`${job.origin}/auth/send-otp`, { ...credentials, email });
      const verified = await postJson(`${job.origin}/auth/verify-otp`, { ...credentials, otp_request_id: sent.otp_request_id, otp: job.code });
      if (!verified.access_token) throw new Error('verify-otp answered without an access token');
    });
  }
  return closedLoop(job, async (i) => userOf(job, i), async (user) => {
    const response = await fetch(job.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    const body = await response.text();
    if (response.status !== 200 || !(JSON.parse(body) as { access_token?: string }).access_token) throw new Error(`${response.status} ${body.slice(0, 300)}`);
  });
}
