// One JSON call to the REST auth API: `{issuer}/v1/<path>`, the app's credentials in the body where the API
// identifies the calling app, a Bearer token where it identifies the user, and every non-2xx answer turned into a
// TesseraError with the API's catalogue code and message.
import { TesseraError, type TesseraErrorCode } from './client-error.js';

/** the app slug of every tenant's built-in first-party REST client (src/rest-api/rest-client.ts) */
export const builtInClientId = 'tessera-rest';

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: Record<string, unknown>;
  /** the user's access token */
  token?: string;
  /** the call names the app (sign-in steps, refresh, logout) */
  asApp?: boolean;
  headers?: Record<string, string>;
  /** another environment's issuer (issue #19): the session's tokens are that environment's built-in client's, so
   *  the call carries no app credentials there */
  issuer?: string;
}

export type HttpCall = <T>(path: string, options?: CallOptions) => Promise<T>;

export function createHttpCall(issuer: string, clientId: string, clientSecret: string | undefined, fetchImpl: typeof fetch): HttpCall {
  const own = issuer.replace(/\/+$/, '');
  const credentials = clientId !== builtInClientId && clientSecret ? { client_id: clientId, client_secret: clientSecret } : null;

  return async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
    const method = options.method ?? (options.body || options.asApp ? 'POST' : 'GET');
    const at = options.issuer ?? own;
    const body = options.asApp && credentials && at === own ? { ...options.body, ...credentials } : options.body ?? (method === 'POST' ? {} : undefined);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (body) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await fetchImpl(`${at}/v1/${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    } catch (cause) {
      throw new TesseraError('sdk.network_error', `Tessera could not be reached: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
    const text = await response.text().catch(() => '');
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not the API's JSON: a proxy's page, a truncated answer
    }
    if (!response.ok) {
      const answer = json as { error?: unknown; message?: unknown } | null;
      const retry = Number(response.headers.get('retry-after'));
      if (answer && typeof answer.error === 'string') {
        throw new TesseraError(answer.error as TesseraErrorCode, typeof answer.message === 'string' ? answer.message : answer.error, response.status, Number.isFinite(retry) && retry > 0 ? retry : null);
      }
      throw new TesseraError('sdk.invalid_response', `Tessera answered ${response.status} without an error code.`, response.status);
    }
    if (response.status !== 204 && (json === null || typeof json !== 'object')) throw new TesseraError('sdk.invalid_response', 'Tessera answered without a JSON object.', response.status);
    return json as T;
  };
}
