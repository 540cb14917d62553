// Runs one registry operation for a principal: scope and tenant checks, input validation, the tenant lookup,
// then the handler. The HTTP router and the in-process CLI both come through here, so both enforce the same rules.
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { validate } from '../validation/validate.js';
import { managementScopes } from '../tenants/system-tenant.js';
import { systemSlug } from '../tenants/issuer.js';
import { recordAdminAction } from '../audit/admin-actions.js';
import type { Operation, Principal, RequestInfo } from './operation.js';
import { everyTenant, mayActOn } from './operator-access.js';

/** the operator at this machine's shell: the CLI in direct or embedded mode */
export const localOperator: Principal = { actor: 'cli', scopes: new Set(managementScopes), tenants: everyTenant };

export interface RawInput {
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
}

/**
 * @throws AppError('auth.insufficient_scope') without the operation's scope, or for a write on the system tenant
 *   without `operators:write`; AppError('tenant.forbidden') for a tenant outside the operator's list
 */
export function authorize(operation: Operation, principal: Principal, slug: string | undefined): void {
  if (!principal.scopes.has(operation.scope)) {
    throw new AppError('auth.insufficient_scope', `This operation needs the scope "${operation.scope}".`);
  }
  if (slug === undefined) return;
  if (!mayActOn(principal.tenants, slug)) {
    throw new AppError('tenant.forbidden', `This operator may not manage the tenant "${slug}".`);
  }
  // the system tenant's users, clients and roles are the installation's operators: changing them is escalation
  if (slug === systemSlug && operation.method !== 'get' && !principal.scopes.has('operators:write')) {
    throw new AppError('auth.insufficient_scope', 'Changing the system tenant needs the scope "operators:write".');
  }
}

// every identifier in a path (slug, uuid, client id, role name, session uid) is short, visible text;
// PostgreSQL cannot even compare a string holding NUL
const plausibleParam = /^[^\u0000-\u001f\u007f]{1,300}$/;

export async function runOperation(services: Services, operation: Operation, raw: RawInput, principal: Principal, request: RequestInfo = {}): Promise<unknown> {
  const params = raw.params ?? {};
  authorize(operation, principal, params.slug);
  const bad = Object.entries(params).filter(([, value]) => !plausibleParam.test(value)).map(([name]) => name);
  if (bad.length) throw new AppError('request.invalid', `${bad.join(', ')}: not a valid identifier (1–300 visible characters).`);
  const query = operation.query ? validate(operation.query, raw.query ?? {}) : undefined;
  const body = operation.body ? validate(operation.body, raw.body) : undefined;
  const tenant = await services.tenants.get(params.slug ?? systemSlug);
  return operation.handle({
    services, params, query, body, tenant, principal, request,
    audit: (entry) => recordAdminAction(services.audit, {
      tenantId: entry.tenantId ?? tenant.id,
      actor: principal.actor,
      type: entry.type,
      subject: entry.subject ?? null,
      clientId: entry.clientId ?? null,
      ip: request.ip ?? null,
      userAgent: request.userAgent ?? null,
      data: entry.data ?? {},
    }),
  });
}
