// One operation of the Management API, defined once: the HTTP router, the OpenAPI document and the CLI all
// read the same definition (issue #6), so the three cannot drift apart.
import type { z } from 'zod';
import type { Services } from '../services.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import type { ManagementScope } from '../tenants/system-tenant.js';
import type { TenantAccess } from './operator-access.js';

/** who calls: a system-tenant client (over HTTP) or the local operator (the CLI without TESSERA_URL) */
export interface Principal {
  /** as written in the audit log: `client:<client_id>` or `cli` */
  readonly actor: string;
  readonly scopes: ReadonlySet<string>;
  /** the tenants this operator may touch; null for all (operator-access.ts decides) */
  readonly tenants: TenantAccess;
  readonly clientId?: string;
}

export interface RequestInfo { readonly ip?: string; readonly userAgent?: string }

export interface AdminActionInput {
  /** `admin.<thing>_<verb past>` */
  type: `admin.${string}`;
  subject?: string | null;
  clientId?: string | null;
  data?: Record<string, unknown>;
  /** the tenant whose log receives the entry; the operation's own tenant when omitted */
  tenantId?: string;
}

export interface OperationInput<Q, B> {
  readonly services: Services;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  /** the tenant named by `{slug}` in the path; operations without one get the system tenant */
  readonly tenant: TenantSummary;
  readonly principal: Principal;
  /** the caller's address and user agent, for audit entries written by services */
  readonly request: RequestInfo;
  /** appends the write to the audit log with the principal as actor */
  audit(entry: AdminActionInput): Promise<void>;
}

/** a result streamed line by line (audit export) instead of one JSON document */
export interface Streamed { readonly stream: AsyncIterable<string>; readonly contentType: string }
export const isStreamed = (value: unknown): value is Streamed =>
  typeof value === 'object' && value !== null && typeof (value as Streamed).contentType === 'string' && Symbol.asyncIterator in Object((value as Streamed).stream);

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface Operation<Q = any, B = any> {
  /** OpenAPI operationId, also how the CLI names the operation it runs */
  readonly id: string;
  readonly method: HttpMethod;
  /** under /api, OpenAPI style: `/tenants/{slug}/roles/{name}` */
  readonly path: string;
  readonly scope: ManagementScope;
  readonly summary: string;
  readonly tag: string;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** 200 unless given; 204 sends no body */
  readonly status?: 200 | 201 | 204;
  /** documented error codes besides the ones every operation can answer */
  readonly errors?: readonly string[];
  /** for the OpenAPI document: the media type of a streamed answer */
  readonly produces?: string;
  handle(input: OperationInput<Q, B>): Promise<unknown>;
}

export function defineOperation<Q = undefined, B = undefined>(operation: Operation<Q, B>): Operation {
  return operation as Operation;
}

/** the path parameters an operation's path names, in order */
export const pathParams = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
