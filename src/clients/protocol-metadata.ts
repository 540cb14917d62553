// The client metadata of the optional protocol profiles (issue #17), under their RFC 7591 / OIDC Registration
// names. The tenant's provider decides whether each is allowed (tenants/protocol-settings.ts): a value the
// tenant has not enabled is refused as invalid metadata when the client is created or changed.
import { z } from 'zod';
import type { ProtocolSettings } from '../tenants/protocol-settings.js';

const alg = z.enum(['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256']);
const responseType = z.enum(['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token']);

export const protocolMetadataSchema = z.object({
  /** RFC 9126 §6: this client must push its authorization requests */
  require_pushed_authorization_requests: z.boolean(),
  /** RFC 9449 §5.2: this client's access tokens are always DPoP-bound */
  dpop_bound_access_tokens: z.boolean(),
  /** RFC 9101 §10.5: this client sends every authorization request as a signed request object */
  require_signed_request_object: z.boolean(),
  request_object_signing_alg: alg,
  /** JARM: the algorithm of signed authorization responses */
  authorization_signed_response_alg: alg.exclude(['HS256']),
  /** OIDC Core §8: pairwise needs the tenant's protocol.pairwise */
  subject_type: z.enum(['public', 'pairwise']),
  /** OIDC Registration §5: an https URL listing the client's redirect URIs (fetched through the outbound guard, net/outbound-guard.ts) */
  sector_identifier_uri: z.string().max(2000),
  token_endpoint_auth_signing_alg: alg,
  /** RFC 8705 §2.1.2: the registered certificate subject (one of these) */
  tls_client_auth_subject_dn: z.string().max(1000),
  tls_client_auth_san_dns: z.string().max(253),
  tls_client_auth_san_uri: z.string().max(2000),
  tls_client_auth_san_ip: z.string().max(45),
  tls_client_auth_san_email: z.string().max(254),
  /** RFC 8705 §3.4 */
  tls_client_certificate_bound_access_tokens: z.boolean(),
  /** the response modes this client may ask for (oidc-provider's client metadata; absent: all the tenant offers) */
  response_modes: z.array(z.enum(['query', 'fragment', 'form_post', 'jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt'])).min(1).max(7),
  /** implicit and hybrid need the tenant's protocol.responseTypes */
  response_types: z.array(responseType).min(1).max(6),
}).partial().strict();

export type ProtocolMetadata = z.output<typeof protocolMetadataSchema>;
export const protocolMetadataKeys = Object.keys(protocolMetadataSchema.shape);

// oidc-provider silently drops the metadata of a feature it was not configured with; a client would then believe
// it had, say, DPoP-bound tokens. Which tenant setting each piece of metadata needs:
const requires: Array<[RegExp, (p: ProtocolSettings, mtls: boolean) => boolean, string]> = [
  [/^require_pushed_authorization_requests$/, (p) => p.par.enabled || p.fapi2.enabled, 'protocol.par.enabled'],
  [/^dpop_bound_access_tokens$/, (p) => p.dpop.enabled, 'protocol.dpop.enabled'],
  [/^(require_signed_request_object|request_object_signing_alg)$/, (p) => p.jar.enabled, 'protocol.jar.enabled'],
  [/^authorization_signed_response_alg$/, (p) => p.jarm.enabled, 'protocol.jarm.enabled'],
  [/^tls_client_(auth_.+|certificate_bound_access_tokens)$/, (p, mtls) => p.mtls.enabled && mtls, 'protocol.mtls.enabled'],
];

/** a message naming the metadata the tenant has not enabled the feature of, or null (false and null values pass) */
export function metadataNotEnabled(metadata: Record<string, unknown>, protocol: ProtocolSettings, mtlsAvailable: boolean): string | null {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined || value === null || value === false) continue;
    const rule = requires.find(([pattern]) => pattern.test(key));
    if (rule && !rule[1](protocol, mtlsAvailable)) problems.push(`${key} needs the tenant's ${rule[2]}`);
  }
  return problems.length ? problems.join('; ') : null;
}
