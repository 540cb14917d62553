// requireAuth: the bearer check of RFC 6750 for Koa, Express-style and plain node:http servers. One decision
// (`authorize`) and three thin adapters, so every framework answers alike: 401 with `WWW-Authenticate: Bearer`
// (no error code when no token was sent, §3.1), 401 invalid_token, 403 insufficient_scope naming what is missing,
// 503 when the issuer's keys cannot be fetched. Imports neither Koa nor Express.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TokenVerificationError, type AccessTokenClaims, type Verifier } from './verifier.js';

export interface Requirements {
  /** every one of these permissions */
  readonly permissions?: readonly string[];
  /** every one of these roles */
  readonly roles?: readonly string[];
  /** every one of these scopes */
  readonly scopes?: readonly string[];
}

export type Decision =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly status: 401 | 403 | 503; readonly headers: Record<string, string>; readonly body: { error: string; message: string } };

const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** an RFC 6750 §3 auth-param value: a quoted-string without quotes or backslashes */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

function refuse(status: 401 | 403 | 503, error: string | null, message: string, scope?: readonly string[]): Decision {
  const params = error ? [`error=${quoted(error)}`, `error_description=${quoted(message)}`] : [];
  if (scope?.length) params.push(`scope=${quoted(scope.join(' '))}`);
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (status !== 503) headers['www-authenticate'] = params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
  return { ok: false, status, headers, body: { error: error ?? 'invalid_token', message } };
}

const missing = (held: readonly string[], required: readonly string[] = []) => {
  const set = new Set(held);
  return required.filter((name) => !set.has(name));
};

/** the decision for a request whose Authorization header is `authorization` */
export async function authorize(verifier: Verifier, authorization: string | undefined, required: Requirements = {}): Promise<Decision> {
  const match = bearer.exec(authorization ?? '');
  if (!match) return refuse(401, null, 'A bearer access token is required.');
  let claims: AccessTokenClaims;
  try {
    claims = await verifier.verify(match[1]!);
  } catch (error) {
    if (error instanceof TokenVerificationError && error.code === 'invalid_token') return refuse(401, 'invalid_token', error.message);
    return refuse(503, 'temporarily_unavailable', 'The token issuer cannot be reached to check the access token.');
  }
  // a development token the verifier was opted in to accept carries full rights (issue #19)
  if (claims.development === true) return { ok: true, claims };
  const lacking = [
    ...missing(claims.permissions, required.permissions),
    ...missing(claims.roles, required.roles).map((role) => `role ${role}`),
    ...missing(claims.scopes, required.scopes).map((scope) => `scope ${scope}`),
  ];
  if (lacking.length) {
    const asked = [...(required.permissions ?? []), ...(required.scopes ?? [])];
    return refuse(403, 'insufficient_scope', `The access token lacks ${lacking.join(', ')}.`, asked);
  }
  return { ok: true, claims };
}

function send(res: ServerResponse, decision: Extract<Decision, { ok: false }>): void {
  res.writeHead(decision.status, { ...decision.headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(decision.body));
}

interface KoaLikeContext {
  get(field: string): string;
  set(field: string, value: string): void;
  status: number;
  body: unknown;
  state: Record<string, unknown>;
}

/** middleware makers sharing one verifier (and so one key cache) */
export function requireAuthFor(verifier: Verifier) {
  return {
    /** Koa: sets ctx.state.auth to the claims */
    koa(required?: Requirements) {
      return async (ctx: KoaLikeContext, next: () => Promise<unknown>) => {
        const decision = await authorize(verifier, ctx.get('Authorization'), required);
        if (!decision.ok) {
          for (const [name, value] of Object.entries(decision.headers)) ctx.set(name, value);
          ctx.status = decision.status;
          ctx.body = decision.body;
          return;
        }
        ctx.state.auth = decision.claims;
        await next();
      };
    },
    /** Express-style (req, res, next): sets req.auth to the claims */
    express(required?: Requirements) {
      return (req: IncomingMessage & { auth?: AccessTokenClaims }, res: ServerResponse, next: (error?: unknown) => void) => {
        authorize(verifier, req.headers.authorization, required).then((decision) => {
          if (!decision.ok) return send(res, decision);
          req.auth = decision.claims;
          next();
        }, next);
      };
    },
    /** node:http: the claims, or undefined after the refusal has been sent */
    async node(req: IncomingMessage, res: ServerResponse, required?: Requirements): Promise<AccessTokenClaims | undefined> {
      const decision = await authorize(verifier, req.headers.authorization, required);
      if (decision.ok) return decision.claims;
      send(res, decision);
      return undefined;
    },
  };
}
