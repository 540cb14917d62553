// The state a plain OAuth 2 vendor (GitHub, Discord) keeps, for their stand-ins: registered apps, what the next
// authorization does (sign a queued account in, or deny), codes (single use, 10 minutes) and access tokens.
import { createHash, randomBytes } from 'node:crypto';

export interface OAuthApp { clientId: string; clientSecret: string; redirectUris: string[] }

export type NextAuthorization<A> = { kind: 'account'; account: A } | { kind: 'deny'; error: string };

export interface IssuedCode<A> {
  clientId: string;
  /** the redirect_uri the authorization request sent, or null when it relied on the registered one */
  redirectUri: string | null;
  scopes: string[];
  account: A;
  codeChallenge: string | null;
  expiresAt: number;
}

export interface IssuedToken<A> { clientId: string; scopes: string[]; account: A; expiresAt: number }

const TEN_MINUTES = 10 * 60_000;

export function randomToken(length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** RFC 7636 §4.6 with S256, the only method either vendor documents */
export function pkceMatches(challenge: string, verifier: string): boolean {
  return /^[A-Za-z0-9._~-]{43,128}$/.test(verifier) && createHash('sha256').update(verifier).digest('base64url') === challenge;
}

export const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function createOAuthApps<A>() {
  const apps = new Map<string, OAuthApp>();
  const queue: Array<NextAuthorization<A>> = [];
  const codes = new Map<string, IssuedCode<A>>();
  const tokens = new Map<string, IssuedToken<A>>();

  return {
    register(app: OAuthApp): OAuthApp {
      if (app.redirectUris.length === 0) throw new Error('an app needs at least one redirect URI');
      apps.set(app.clientId, { ...app, redirectUris: [...app.redirectUris] });
      return app;
    },
    app: (clientId: string | undefined): OAuthApp | undefined => (clientId === undefined ? undefined : apps.get(clientId)),
    signInAs: (account: A) => void queue.push({ kind: 'account', account }),
    denyNext: (error: string) => void queue.push({ kind: 'deny', error }),
    takeNext: (): NextAuthorization<A> | undefined => queue.shift(),
    issueCode(code: string, grant: Omit<IssuedCode<A>, 'expiresAt'>): string {
      codes.set(code, { ...grant, expiresAt: Date.now() + TEN_MINUTES });
      return code;
    },
    /** the code's grant, removed (codes are single use whatever the outcome), or undefined when unknown or expired */
    redeemCode(code: string): IssuedCode<A> | undefined {
      const grant = codes.get(code);
      codes.delete(code);
      return grant && grant.expiresAt > Date.now() ? grant : undefined;
    },
    issueToken(token: string, grant: IssuedToken<A>): string {
      tokens.set(token, grant);
      return token;
    },
    token(token: string): IssuedToken<A> | undefined {
      const grant = tokens.get(token);
      return grant && grant.expiresAt > Date.now() ? grant : undefined;
    },
    revokeToken: (token: string) => void tokens.delete(token),
  };
}

export type OAuthApps<A> = ReturnType<typeof createOAuthApps<A>>;
