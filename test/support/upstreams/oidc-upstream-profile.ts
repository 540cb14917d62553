// What differs between the identity providers the OIDC upstream plays (VENDORS §5 Google, §7 Apple, and a plain
// oidc-provider as "generic"): endpoint paths, scopes, which claims each scope releases and their shapes, and the
// in-memory storage whose Client model tests fill at run time.
import type { AccountClaims, Adapter, AdapterFactory, AdapterPayload, ClientAuthMethod, Configuration } from 'oidc-provider';

export type Flavour = 'google' | 'generic' | 'apple';

export interface UpstreamAccount {
  sub: string; email?: string; email_verified?: boolean | 'true' | 'false'; name?: string; picture?: string;
  given_name?: string; family_name?: string; hd?: string; is_private_email?: boolean | 'true' | 'false';
}

export interface FlavourProfile {
  routes: NonNullable<Configuration['routes']>;
  scopes: string[];
  claims: NonNullable<Configuration['claims']>;
  /** false puts the granted scopes' claims in the id_token itself, as Google and Apple do */
  conformIdTokenClaims: boolean;
  clientAuthMethods: ClientAuthMethod[];
  userinfo: boolean;
}

export const profiles: Record<Flavour, FlavourProfile> = {
  google: {
    // accounts.google.com's discovery paths (token, jwks and userinfo live on other hosts there)
    routes: { authorization: '/o/oauth2/v2/auth', token: '/token', jwks: '/oauth2/v3/certs', userinfo: '/v1/userinfo', revocation: '/revoke' },
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub', 'hd'], email: ['email', 'email_verified'], profile: ['name', 'picture', 'given_name', 'family_name', 'locale'] },
    conformIdTokenClaims: false,
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
    userinfo: true,
  },
  apple: {
    routes: { authorization: '/auth/authorize', token: '/auth/token', jwks: '/auth/keys', revocation: '/auth/revoke' },
    // `name` releases no claim: Apple sends the name once, in the form_post `user` field (apple-upstream.ts)
    scopes: ['openid', 'email', 'name'],
    claims: { openid: ['sub', 'nonce_supported'], email: ['email', 'email_verified', 'is_private_email'] },
    conformIdTokenClaims: false,
    clientAuthMethods: ['client_secret_post'],
    userinfo: false,
  },
  generic: {
    routes: {},
    scopes: ['openid', 'email', 'profile'],
    claims: {
      acr: null, auth_time: null, sid: null,
      openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name', 'picture'],
    },
    conformIdTokenClaims: true,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    userinfo: true,
  },
};

/**
 * The account's claims as the vendor would release them. email_verified / is_private_email are passed through
 * as given (both vendors have sent strings); when left out, Google says boolean true and Apple the strings
 * "true" / "false".
 */
export function accountClaims(flavour: Flavour, account: UpstreamAccount): AccountClaims {
  const claims: AccountClaims = { sub: account.sub };
  const copy = (key: Exclude<keyof UpstreamAccount, 'sub'>) => {
    if (account[key] !== undefined) claims[key] = account[key];
  };
  for (const key of ['email', 'email_verified', 'name', 'picture', 'given_name', 'family_name'] as const) copy(key);
  if (flavour === 'google') {
    copy('hd');
    if (account.email !== undefined) claims.email_verified ??= true;
  }
  if (flavour === 'apple') {
    copy('is_private_email');
    claims.nonce_supported = true;
    if (account.email !== undefined) {
      claims.email_verified ??= 'true';
      claims.is_private_email ??= 'false';
    }
  }
  return claims;
}

/** oidc-provider storage in memory; the Client model reads `clients`, which registerClient fills at any time. */
export function memoryAdapter(clients: ReadonlyMap<string, AdapterPayload>): AdapterFactory {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const live = (key: string): AdapterPayload | undefined => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) store.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  };
  return (name: string): Adapter => {
    const key = (id: string) => `${name}:${id}`;
    const findBy = (field: 'uid' | 'userCode', value: string) => {
      for (const [k] of store) if (k.startsWith(`${name}:`) && live(k)?.[field] === value) return live(k);
      return undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        store.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      },
      find: async (id) => (name === 'Client' ? clients.get(id) : live(key(id))),
      findByUid: async (uid) => findBy('uid', uid),
      findByUserCode: async (userCode) => findBy('userCode', userCode),
      async consume(id) {
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, entry] of store) if (entry.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}
