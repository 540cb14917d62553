// FAPI 2.0 Security Profile (final), switched on for a whole tenant by `protocol.fapi2.enabled`. oidc-provider's
// `features.fapi` profile '2.0' enforces PKCE for every client, the issuer as the only `aud` of client assertions
// and the request object claims; protocol-features.ts limits client authentication to private_key_jwt and mTLS. This file adds the rest: algorithms, lifetimes, no refresh token rotation, and
// what each client must register (sender-constrained tokens, PAR).
import type { Configuration } from 'oidc-provider';

/** §5.4.1: PS256, ES256 or EdDSA with Ed25519 */
const fapiAlgs = ['PS256', 'ES256', 'Ed25519', 'EdDSA'];
/** §5.3.2.2 (11): authorization codes live 60 seconds at most */
export const fapiMaxCodeSeconds = 60;

type Jwa = NonNullable<Configuration['enabledJWA']>;

/** the signing algorithms a FAPI 2.0 tenant accepts and uses: the given lists without what §5.4.1 forbids */
export function fapiAlgorithms(enabled: Jwa): Jwa {
  const only = (values: readonly string[] | undefined) => (values ?? fapiAlgs).filter((alg) => fapiAlgs.includes(alg));
  return {
    ...enabled,
    clientAuthSigningAlgValues: only(undefined),
    requestObjectSigningAlgValues: only(undefined),
    dPoPSigningAlgValues: only(undefined),
    idTokenSigningAlgValues: only(enabled.idTokenSigningAlgValues),
    userinfoSigningAlgValues: only(enabled.userinfoSigningAlgValues),
    introspectionSigningAlgValues: only(enabled.introspectionSigningAlgValues),
    authorizationSigningAlgValues: only(enabled.authorizationSigningAlgValues),
  } as Jwa;
}

/**
 * What FAPI 2.0 forbids in a client's registration, or undefined. Tessera's own clients (the account page, the
 * admin console) are exempt: they are not the tenant's relying parties and keep signing users in.
 * §5.3.2.1 (3, 6): confidential clients authenticating with private_key_jwt or mTLS; (4, 5): sender-constrained
 * access tokens, by DPoP or a certificate; §5.3.2.2 (2): pushed authorization requests only.
 */
export function fapiClientProblem(metadata: Record<string, unknown>, mtlsEnabled: boolean): string | undefined {
  const methods = ['private_key_jwt', ...(mtlsEnabled ? ['tls_client_auth', 'self_signed_tls_client_auth'] : [])];
  if (!methods.includes(metadata.token_endpoint_auth_method as string)) {
    return `FAPI 2.0: token_endpoint_auth_method must be ${methods.join(' or ')}`;
  }
  if (metadata.dpop_bound_access_tokens !== true && !(mtlsEnabled && metadata.tls_client_certificate_bound_access_tokens === true)) {
    return `FAPI 2.0: access tokens must be sender-constrained: set dpop_bound_access_tokens${mtlsEnabled ? ' or tls_client_certificate_bound_access_tokens' : ''} to true`;
  }
  if (metadata.require_pushed_authorization_requests === false) return 'FAPI 2.0: require_pushed_authorization_requests cannot be false';
  return undefined;
}
