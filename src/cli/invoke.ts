// How a management command reaches the registry's operations: in this process as the local operator
// (`cli`), or over HTTP with a Management API token (TESSERA_URL). Commands are written against `Invoke` only.
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { errorCatalogue, type ErrorCode } from '../errors/error-catalogue.js';
import { findOperation } from '../management/operations/index.js';
import { isStreamed, pathParams } from '../management/operation.js';
import { localOperator, runOperation, type RawInput } from '../management/run-operation.js';
import { managementScopes } from '../tenants/system-tenant.js';

/** runs one operation; a streamed answer (audit export) comes back as its text */
export type Invoke = (operationId: string, input?: RawInput) => Promise<unknown>;

function operation(id: string) {
  const found = findOperation(id);
  if (!found) throw new Error(`no Management API operation "${id}"`);
  return found;
}

export function localInvoke(services: Services): Invoke {
  return async (id, input = {}) => {
    const result = await runOperation(services, operation(id), input, localOperator);
    if (!isStreamed(result)) return result;
    let out = '';
    for await (const line of result.stream) out += line;
    return out;
  };
}

export interface RemoteTarget { url: string; clientId: string; clientSecret: string }

const remoteError = (code: unknown, message: string) =>
  typeof code === 'string' && Object.hasOwn(errorCatalogue, code) ? new AppError(code as ErrorCode, message) : new AppError('internal.error', message);

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new AppError('internal.error', `Tessera does not answer at ${url} (${(error as Error).message}).`);
  }
}

/** a Management API token by client_credentials from the system tenant, for every scope the client holds */
async function token(target: RemoteTarget): Promise<string> {
  const discovery = await send(new URL('/t/system/.well-known/openid-configuration', target.url).href, {});
  if (!discovery.ok) throw new AppError('internal.error', `No Tessera system tenant at ${target.url} (HTTP ${discovery.status}).`);
  const { issuer, token_endpoint: endpoint } = (await discovery.json()) as { issuer: string; token_endpoint: string };
  const response = await send(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // RFC 6749 §2.3.1: the form-encoded client id and secret, joined by a colon, in Basic
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`).toString('base64')}`,
    },
    // the provider grants the intersection of these with the client's registered scopes
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${new URL(issuer).origin}/api`, scope: managementScopes.join(' ') }),
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !body.access_token) {
    throw new AppError('auth.invalid_token', `The system tenant refused TESSERA_CLIENT_ID / TESSERA_CLIENT_SECRET: ${body.error_description ?? body.error ?? `HTTP ${response.status}`}.`);
  }
  return body.access_token;
}

export function remoteInvoke(target: RemoteTarget): Invoke {
  let bearer: Promise<string> | undefined;
  return async (id, input = {}) => {
    const op = operation(id);
    const params = input.params ?? {};
    let path = op.path;
    for (const name of pathParams(op.path)) path = path.replace(`{${name}}`, encodeURIComponent(params[name] ?? ''));
    const url = new URL(`/api${path}`, target.url);
    for (const [name, value] of Object.entries(input.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    bearer ??= token(target);
    const response = await send(url.href, {
      method: op.method.toUpperCase(),
      headers: {
        authorization: `Bearer ${await bearer}`,
        accept: 'application/json',
        ...(input.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(input.body !== undefined ? { body: JSON.stringify(input.body) } : {}),
    });
    if (response.status === 204) return null;
    const text = await response.text();
    if (!response.ok) {
      let error: { error?: string; message?: string } = {};
      try { error = JSON.parse(text) as typeof error; } catch { /* not JSON: the status says enough */ }
      throw remoteError(error.error, error.message ?? `HTTP ${response.status} from ${url.pathname}`);
    }
    return op.produces ? text : JSON.parse(text);
  };
}
