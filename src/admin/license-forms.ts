// The console's license forms read into the licensing service's own input schemas (license-inputs.ts), so the console
// accepts exactly what the Management API accepts. A refusal names the form's field in the operator's language
// instead of the API's JSON path, and says what is wrong with it in words of the catalogue.
import type { Context } from 'koa';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import type { Translator } from '../i18n/i18n.js';
import { assertCleanInput } from '../validation/input-rules.js';
import { normaliseEmail } from '../validation/email-address.js';
import { consoleRefusal, text } from './admin-kit.js';

/** a whole number as a number, nothing as undefined, anything else as typed (for the schema to refuse) */
export function whole(ctx: Context, name: string): number | string | undefined {
  const value = text(ctx, name, 20);
  if (value === '') return undefined;
  return /^\d{1,9}$/.test(value) ? Number(value) : value;
}
export const checked = (ctx: Context, name: string) => text(ctx, name, 10) === 'on';

/** the policy fields of the product and policy forms as typed, named as the form names them (views/admin/partials/license-policy-fields.ejs) */
export function policyForm(ctx: Context) {
  return {
    policyName: text(ctx, 'policyName', 200), maxDevices: text(ctx, 'maxDevices', 20), days: text(ctx, 'days', 20), floating: checked(ctx, 'floating') ? 'on' : '',
    lease: text(ctx, 'lease', 20), entitlements: text(ctx, 'entitlements', 11_000), heartbeat: text(ctx, 'heartbeat', 20), grace: text(ctx, 'grace', 20), churnLimit: text(ctx, 'churnLimit', 20),
  };
}
export type PolicyForm = ReturnType<typeof policyForm>;

/** the policy form as the API's policy body: empty fields take the API's defaults */
export function policyBody(ctx: Context): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: text(ctx, 'policyName', 200) || undefined, max_devices: whole(ctx, 'maxDevices') ?? '', days: whole(ctx, 'days'), floating: checked(ctx, 'floating'),
    lease_seconds: whole(ctx, 'lease'), heartbeat_seconds: whole(ctx, 'heartbeat'), offline_grace_seconds: whole(ctx, 'grace'), churn_limit: whole(ctx, 'churnLimit'),
    entitlements: text(ctx, 'entitlements', 11_000).split(/[\s,]+/).filter(Boolean),
  };
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

// a schema path (without a leading `policy.`) → the catalogue key of the field's label
const labels: Record<string, string> = {
  name: 'console.licenses.productName', max_devices: 'console.licenses.maxDevices', days: 'console.licenses.validDays', lease_seconds: 'console.licenses.lease',
  entitlements: 'console.licenses.entitlementsField', heartbeat_seconds: 'console.licenses.heartbeatSeconds', offline_grace_seconds: 'console.licenses.graceSeconds',
  churn_limit: 'console.licenses.churnLimit', count: 'console.licenses.count', user_id: 'console.licenses.userField', product_id: 'console.licenses.policyChoice',
  policy_id: 'console.licenses.policyChoice', key_hint: 'console.licenses.keyHint', status: 'console.common.status', expires_at: 'console.licenses.until',
};

type Issue = z.core.$ZodIssue;

interface FormOptions {
  /** `name` is a policy's (the add-policy form), not a product's */
  policyName?: boolean;
  /** this form's own labels (catalogue keys) by schema field, over the common ones */
  labels?: Record<string, string>;
}

function refusalOf(issue: Issue, words: Translator, options: FormOptions): AppError {
  const path = issue.path.map(String).filter((part, i) => !(i === 0 && part === 'policy' && issue.path.length > 1));
  const named = { ...labels, ...options.labels };
  const key = path[0] === 'name' && (options.policyName || issue.path[0] === 'policy') ? 'console.licenses.policyName' : named[path[0] ?? ''];
  const field = key ? words.t(key) : path.join('.');
  const english = `${path.join('.') || 'input'}: ${issue.message}`;
  if (issue.code === 'custom' && path[0] === 'lease_seconds') return consoleRefusal('request.invalid', 'console.licenses.problem.leaseNeeded', english);
  if (issue.code === 'custom' && path.length === 0) return consoleRefusal('request.invalid', 'console.licenses.problem.extendOne', english);
  if (issue.code === 'invalid_type' && issue.expected === 'number') return consoleRefusal('request.invalid', 'console.licenses.problem.wholeNumber', english, { field });
  if (issue.code === 'too_small' && issue.origin === 'number') return consoleRefusal('request.invalid', 'console.licenses.problem.atLeast', english, { field, min: String(issue.minimum) });
  if (issue.code === 'too_big' && issue.origin === 'number') return consoleRefusal('request.invalid', 'console.licenses.problem.atMost', english, { field, max: String(issue.maximum) });
  if (issue.code === 'too_small') return consoleRefusal('request.invalid', 'console.licenses.problem.required', english, { field });
  if (issue.code === 'too_big') return consoleRefusal('request.invalid', 'console.licenses.problem.tooLong', english, { field });
  return consoleRefusal('request.invalid', 'console.licenses.problem.invalid', english, { field });
}

/**
 * `input` through the service's schema.
 * @throws AppError('request.invalid') worded for the console: the first problem, its field named as the form names it
 */
export function parseForm<T>(schema: z.ZodType<T>, input: unknown, words: Translator, options: FormOptions = {}): T {
  assertCleanInput(input);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw refusalOf(result.error.issues[0]!, words, options);
}

/**
 * A user as an operator types them: an email address (looked up) or a user id (the service checks it); nothing: none.
 * @throws AppError('user.not_found') for an address no user of the tenant has
 */
export async function userOf(typed: string, findByEmail: (email: string) => Promise<{ id: string } | null>): Promise<string | null> {
  if (!typed) return null;
  if (!typed.includes('@')) return typed;
  const email = normaliseEmail(typed);
  const user = email ? await findByEmail(email) : null;
  if (!user) throw consoleRefusal('user.not_found', 'console.licenses.problem.noSuchEmail', 'No user of this tenant has this email address.', { email: typed });
  return user.id;
}
