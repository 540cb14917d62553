// The optional protocol profiles of a tenant's provider (issue #17), from its `protocol` settings
// (tenants/protocol-settings.ts). Each maps onto an oidc-provider feature; a client opts in through its metadata.
import { createHmac } from 'node:crypto';
import type { ClientAuthMethod, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { allowedResponseTypes, type ProtocolSettings } from '../tenants/protocol-settings.js';
import { certificateAuthorized, certificateOf, certificateSubjectMatches, type MtlsHeaders } from './mtls-certificate.js';

export interface ProtocolFeaturesInput {
  tenantId: string;
  protocol: ProtocolSettings;
  /** 32 bytes shared by every process: DPoP nonces made by one are accepted by all (RFC 9449 §8) */
  dpopNonceSecret: Buffer;
  /** the deployment's client certificate headers; absent: no mTLS */
  mtls: MtlsHeaders | undefined;
  /** Tessera's own clients, to which FAPI 2.0 does not apply */
  exempt: ReadonlySet<string>;
}


export function protocolFeatures(input: ProtocolFeaturesInput): Pick<Configuration, 'responseTypes' | 'subjectTypes' | 'pairwiseIdentifier' | 'clientAuthMethods'> & { features: Record<string, object> } {
  const { protocol } = input;
  const fapi = protocol.fapi2.enabled;
  const mtls = protocol.mtls.enabled && input.mtls ? input.mtls : undefined;
  const mtlsMethods: ClientAuthMethod[] = mtls ? ['tls_client_auth', 'self_signed_tls_client_auth'] : [];
  const salt = protocol.pairwise.salt ?? input.tenantId;
  const { privateKeyJwt, clientSecretJwt } = protocol.clientAuth;

  return {
    responseTypes: allowedResponseTypes(protocol) as Configuration['responseTypes'],
    subjectTypes: protocol.pairwise.enabled ? ['public', 'pairwise'] : ['public'],
    // OIDC Core §8.1: a hash of the sector and the local account id with a salt the relying parties never see
    pairwiseIdentifier: async (_ctx, accountId, client) => createHmac('sha256', salt).update(`${client.sectorIdentifier}\n${accountId}`).digest('base64url'),
    // FAPI 2.0 §5.3.2.1 (6): only private_key_jwt or mTLS authenticate a client. `none` stays for Tessera's own
    // account page; every other client is held to the profile by fapiClientProblem (fapi2-profile.ts).
    // `protocol.clientAuth` takes a JWT assertion method out of discovery and out of what a client may register;
    // a client registered with it before fails authentication (invalid_client, client-policy-error.ts).
    clientAuthMethods: (fapi
      ? ['private_key_jwt', ...mtlsMethods, 'none'] as ClientAuthMethod[]
      : ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none', ...mtlsMethods] as ClientAuthMethod[])
      .filter((method) => (method !== 'private_key_jwt' || privateKeyJwt) && (method !== 'client_secret_jwt' || clientSecretJwt)),
    features: {
      pushedAuthorizationRequests: {
        enabled: protocol.par.enabled || fapi,
        // `par.required` and FAPI 2.0 (§5.3.2.2 (2, 3)) act through the client metadata require_pushed_authorization_requests
        // (its default, and refused as false: provider-config.ts), so Tessera's own account page keeps working.
        requirePushedAuthorizationRequests: false,
      },
      dPoP: {
        enabled: protocol.dpop.enabled,
        nonceSecret: input.dpopNonceSecret,
        requireNonce: () => protocol.dpop.requireNonce,
      },
      requestObjects: {
        enabled: protocol.jar.enabled,
        // `jar.requireSigned` acts through the client metadata require_signed_request_object, as `par.required` does.
        requireSignedRequestObject: false,
      },
      jwtResponseModes: { enabled: protocol.jarm.enabled },
      mTLS: mtls ? {
        enabled: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx: KoaContextWithOIDC) => certificateOf(ctx, mtls),
        certificateAuthorized: (ctx: KoaContextWithOIDC) => certificateAuthorized(ctx, mtls),
        certificateSubjectMatches(ctx: KoaContextWithOIDC, property: string, expected: string) {
          const certificate = certificateOf(ctx, mtls);
          return !!certificate && certificateSubjectMatches(certificate, property, expected);
        },
      } : { enabled: false },
      fapi: fapi ? { enabled: true, profile: (_ctx: KoaContextWithOIDC, client?: { clientId: string }) => (client && input.exempt.has(client.clientId) ? undefined : '2.0') } : { enabled: false },
    },
  };
}
