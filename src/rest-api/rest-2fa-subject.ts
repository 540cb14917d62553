// Whom a 2FA enrolment call of the REST API is for (issue #16 §3): the user of a Bearer access token, or, for an
// `enrol_mfa` challenge (the caller holds no token yet), the user of that login transaction, named by
// `challenge_id` in the body and started by the calling app (client credentials as at /auth/login; a backend OTP API
// app's enrol_mfa challenge from verify-otp is answered here too, with its app_id and app_secret as client_id and
// client_secret). An enrolment
// proven under a challenge completes the transaction, so its answer carries the tokens as well; the user's first
// factor brings the backup codes, shown once.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { readJsonText } from '../http/json-body.js';
import type { ResolvedTenant } from '../http/tenant-routes.js';
import { enrolledSecondFactors } from '../auth-methods/mfa/enrolled-factors.js';
import type { LoginTransaction } from '../login/login-transaction.machine.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import type { AppAccess } from '../otp-api/app-access-token.js';
import type { RestClients } from './rest-client.js';
import type { RestAnswer, RestSignIn } from './rest-sign-in.js';

export interface RestTwoFactorDeps {
  bearer(ctx: Context): Promise<AppAccess>;
  clients: RestClients;
  signIn: RestSignIn;
}

export interface Enrolling {
  tenant: ResolvedTenant;
  user: AppAccess['user'];
  /** set when enrolling answers an enrol_mfa challenge */
  challenge: { tx: LoginTransaction; app: CallingApp } | null;
  /** the user held no second factor before this enrolment */
  first: boolean;
}

export const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });
export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @throws AppError('request.invalid') for a body that is not a JSON object */
export async function jsonObject(ctx: Context): Promise<Record<string, unknown>> {
  const read = await readJsonText(ctx);
  if (!read || !read.value || typeof read.value !== 'object' || Array.isArray(read.value)) throw new AppError('request.invalid', 'Send a JSON object.');
  return read.value as Record<string, unknown>;
}

export function createEnrolmentSubjects(services: Services, deps: RestTwoFactorDeps) {
  const hasFactor = async (tenantId: string, userId: string) => (await enrolledSecondFactors(services, tenantId, userId)).some((f) => f !== 'recovery_code');

  return {
    /**
     * The user enrolling `method` (a transaction method id: totp, sms, passkey)
     * @throws AppError('auth.invalid_token' | 'app.invalid_credentials' | 'login.expired' | 'login.invalid_state' | 'request.invalid')
     */
    async subject(ctx: Context, body: Record<string, unknown>, method: string): Promise<Enrolling> {
      const tenant = ctx.state.tenant!;
      if (body.challenge_id === undefined) {
        const { user } = await deps.bearer(ctx);
        return { tenant, user, challenge: null, first: !(await hasFactor(tenant.id, user.id)) };
      }
      if (typeof body.challenge_id !== 'string' || body.challenge_id.length > 64) throw new AppError('request.invalid', 'Send "challenge_id" as a string.');
      const app = await deps.clients.identify(ctx, tenant, body);
      // the backend OTP API cannot enrol: its enrol_mfa challenge is answered here, with the same app's credentials
      const tx = await services.loginChallenges.open(tenant.id, body.challenge_id, app.appId, ['rest_api', 'otp_api']);
      if (tx.state !== 'enrolment_required' || !tx.methods.includes(method)) throw new AppError('login.invalid_state');
      const user = await services.users.findById(tenant.id, tx.userId!);
      if (!user || user.disabled) throw new AppError('login.expired');
      return { tenant, user, challenge: { tx, app }, first: !(await hasFactor(tenant.id, user.id)) };
    },

    /**
     * The answer to a proven enrolment: `{enabled, factor_id?, backup_codes}` (codes only for the user's first factor,
     * when none are left), plus, under an enrol_mfa challenge, the completed sign-in's tokens.
     */
    async enrolled(ctx: Context, who: Enrolling, factor: { method: string; amr: readonly string[]; id?: string }): Promise<RestAnswer> {
      const { tenant, user } = who;
      await services.audit.record({ tenantId: tenant.id, type: 'mfa.enrolled', actor: user.id, subject: user.id, ...requestOf(ctx), data: { factor: factor.method, front: 'rest_api', atSignIn: !!who.challenge } });
      let codes: string[] | null = null;
      if (who.first && (await services.factors.recoveryCodesLeft(tenant.id, user.id)) === 0) {
        codes = await services.factors.newRecoveryCodes(tenant.id, user.id);
        await services.audit.record({ tenantId: tenant.id, type: 'mfa.recovery_codes_generated', actor: user.id, subject: user.id, ...requestOf(ctx), data: {} });
      }
      const body: Record<string, unknown> = { enabled: true, ...(factor.id ? { factor_id: factor.id } : {}), backup_codes: codes };
      if (!who.challenge) return { status: 200, body };
      const { tx, app } = who.challenge;
      const done = await services.loginChallenges.enrolled(tenant.id, tx, factor.method, factor.amr);
      const tokens = await deps.signIn.finish(ctx, app, done);
      return { status: 200, body: { ...body, ...tokens.body } };
    },
  };
}

export type EnrolmentSubjects = ReturnType<typeof createEnrolmentSubjects>;
