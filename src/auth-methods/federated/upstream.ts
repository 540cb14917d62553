// What every upstream connection (Google, GitHub, Apple, Discord, any OIDC issuer) gives the sign-in flow: an
// authorization URL to send the browser to, and — from the parameters it comes back with — the upstream's
// profile of the user. Upstream tokens stay inside the connector: nothing here returns them.
export interface UpstreamProfile {
  /** the upstream's stable id for the user */
  subject: string;
  /** lower-cased; null when the upstream gave none */
  email: string | null;
  /** true only when the upstream asserts it (Google/Apple `email_verified`, GitHub's primary verified email) */
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  /** who vouched for the user, for the audit log: the issuer or the upstream's API */
  issuer: string;
}

export interface AuthorizationInput { redirectUri: string; state: string; nonce: string; codeChallenge: string }

export interface CallbackInput {
  redirectUri: string;
  /** what the upstream sent back: query parameters, or the form of a form_post */
  params: URLSearchParams;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface Connector {
  /** how the upstream returns to us: a redirect with a query, or a form POST (Apple) */
  readonly responseMode: 'query' | 'form_post';
  authorizationUrl(input: AuthorizationInput): Promise<URL>;
  /** @throws UpstreamError */
  complete(input: CallbackInput): Promise<UpstreamProfile>;
}

export type UpstreamFailure =
  /** the user said no at the upstream, or the upstream refused the request */
  | 'denied'
  /** the upstream could not be reached, or did not answer in time */
  | 'unreachable'
  /** the upstream answered something we must not trust: bad signature, wrong audience/nonce/issuer, an error */
  | 'invalid_response'
  /** the tenant's rules refuse this account: Google hosted domain, GitHub organisation */
  | 'not_allowed';

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(readonly failure: UpstreamFailure, readonly detail: string) {
    super(`${failure}: ${detail}`);
  }
}

/** an email as the upstream gave it, normalised, or null when it is not one */
export function upstreamEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().toLowerCase();
  return email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null;
}

/** Google and Apple send `email_verified` as a boolean or as the string "true" (VENDORS.md §5, §7) */
export const assertedTrue = (value: unknown) => value === true || value === 'true';

/** a string claim, trimmed and bounded; null otherwise */
export function text(value: unknown, max = 200): string | null {
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null;
}

/** a fetch that gives up after `timeoutMs`; network failures and timeouts become UpstreamError('unreachable') */
export async function upstreamFetch(url: string | URL, init: RequestInit, timeoutMs: number, fetchFn: typeof fetch): Promise<Response> {
  try {
    return await fetchFn(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    // one outcome for timeout, refused and not allowed (OUTBOUND_POLICY): the detail reaches the tenant's audit log,
    // where telling them apart would make the configured URL a port probe
    throw new UpstreamError('unreachable', `${new URL(url).host}: unreachable`);
  }
}

/** the JSON body of an upstream answer; anything else is an invalid response */
export async function upstreamJson(response: Response, what: string): Promise<Record<string, unknown>> {
  const body = await response.json().catch(() => null) as unknown;
  if (!body || typeof body !== 'object') throw new UpstreamError('invalid_response', `${what}: HTTP ${response.status}, not JSON`);
  return body as Record<string, unknown>;
}
