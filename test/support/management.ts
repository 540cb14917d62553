// Calls the Management API the way an operator's script would: a system-tenant client gets a token by
// client_credentials (resource = {PUBLIC_URL}/api) and sends it as a bearer token.
import { cliJson } from './fixtures.js';
import { discover, oidc } from './relying-party.js';
import type { TesseraProcess } from './tessera-process.js';

export interface Operator { clientId: string; clientSecret: string; token: string }

/** registers a system-tenant client with these management scopes and gets a token carrying them */
export async function operator(server: TesseraProcess, scopes: string[], extra: string[] = []): Promise<Operator> {
  const client = await cliJson<{ client_id: string; client_secret: string }>(server, [
    'client', 'create', '--tenant', 'system', '--name', 'ops', '--grant', 'client_credentials', '--scope', scopes.join(' '), ...extra,
  ]);
  return { clientId: client.client_id, clientSecret: client.client_secret, token: await managementToken(server, client.client_id, client.client_secret, scopes) };
}

export async function managementToken(server: TesseraProcess, clientId: string, clientSecret: string, scopes: string[], issuer = server.issuer('system')): Promise<string> {
  const config = await discover(issuer, clientId, clientSecret);
  const tokens = await oidc.clientCredentialsGrant(config, { scope: scopes.join(' '), ...(issuer === server.issuer('system') ? { resource: `${server.url}/api` } : {}) });
  return tokens.access_token;
}

export interface ApiAnswer<T = any> { status: number; body: T; headers: Headers; text: string }

export interface ApiCallOptions { token?: string | null; body?: unknown; rawBody?: string; contentType?: string; headers?: Record<string, string> }

export async function call<T = any>(server: TesseraProcess, method: string, path: string, options: ApiCallOptions = {}): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${server.url}/api${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: response.status, body: parsed as T, headers: response.headers, text };
}

/** a caller bound to one token */
export function client(server: TesseraProcess, token: string | null) {
  return {
    get: <T = any>(path: string) => call<T>(server, 'GET', path, { token }),
    post: <T = any>(path: string, body?: unknown) => call<T>(server, 'POST', path, { token, body }),
    patch: <T = any>(path: string, body?: unknown) => call<T>(server, 'PATCH', path, { token, body }),
    delete: <T = any>(path: string) => call<T>(server, 'DELETE', path, { token }),
    call: <T = any>(method: string, path: string, options: ApiCallOptions = {}) => call<T>(server, method, path, { token, ...options }),
  };
}
export type ApiClient = ReturnType<typeof client>;

/** every item of a paginated list, page by page */
export async function allPages<T = any>(api: ApiClient, path: string, limit = 2): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const separator = path.includes('?') ? '&' : '?';
    const answer: ApiAnswer<{ items: T[]; next_cursor: string | null }> = await api.get(`${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text}`);
    items.push(...answer.body.items);
    cursor = answer.body.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('pagination did not end');
}

/** the audit entries of a tenant with this type, newest first */
export async function auditEntries(api: ApiClient, tenant: string, type: string): Promise<Array<{ type: string; actor: string; subject: string | null; clientId: string | null; data: Record<string, unknown> }>> {
  const answer = await api.get(`/tenants/${tenant}/audit?type=${encodeURIComponent(type)}&limit=100`);
  if (answer.status !== 200) throw new Error(`audit: ${answer.status} ${answer.text}`);
  return answer.body.items;
}
