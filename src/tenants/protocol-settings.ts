// A tenant's protocol profiles (issue #17), stored under `protocol` in its settings: which optional OAuth/OpenID
// features its provider offers. Each is off unless safe by default; a client then opts in through its own
// metadata (RFC 7591 names: require_pushed_authorization_requests, dpop_bound_access_tokens, subject_type …).
// `fapi2` switches the FAPI 2.0 Security Profile on: it overrides the choices it constrains (fapi2-profile.ts).
import { z } from 'zod';

export const protocolSettingsSchema = z.object({
  /** RFC 9126. On: clients may push; `required` makes every client push (a client alone: require_pushed_authorization_requests) */
  par: z.object({
    enabled: z.boolean().default(true),
    required: z.boolean().default(false),
  }).strict().prefault({}),
  /** RFC 9449. Server nonces (§8) bound how long a proof made in advance stays usable */
  dpop: z.object({
    enabled: z.boolean().default(true),
    requireNonce: z.boolean().default(true),
  }).strict().prefault({}),
  /** RFC 9101 request objects (JAR); `requireSigned` refuses plain authorization parameters for every client */
  jar: z.object({
    enabled: z.boolean().default(false),
    requireSigned: z.boolean().default(false),
  }).strict().prefault({}),
  /** JWT Secured Authorization Response Mode (JARM): response_mode=jwt, query.jwt, fragment.jwt, form_post.jwt */
  jarm: z.object({ enabled: z.boolean().default(false) }).strict().prefault({}),
  /** OIDC Core §8.1 pairwise subject identifiers; `salt` is generated when first enabled and never shown */
  pairwise: z.object({
    enabled: z.boolean().default(false),
    salt: z.string().min(32).max(128).nullable().default(null),
  }).strict().prefault({}),
  /** RFC 8705 mutual TLS through the TLS proxy's verified client certificate header (MTLS_CERT_HEADER) */
  mtls: z.object({ enabled: z.boolean().default(false) }).strict().prefault({}),
  /** RFC 9700 §2.1.2: implicit and hybrid response types stay off unless a tenant needs them */
  responseTypes: z.object({
    implicit: z.boolean().default(false),
    hybrid: z.boolean().default(false),
  }).strict().prefault({}),
  /** OAuth 2.0 Form Post Response Mode: response_mode=form_post (and form_post.jwt with JARM). On, as OIDC certification expects */
  formPost: z.object({ enabled: z.boolean().default(true) }).strict().prefault({}),
  /** RFC 7523 / OIDC Core §9 client authentication by JWT assertion, each a token_endpoint_auth_method a client may register */
  clientAuth: z.object({
    privateKeyJwt: z.boolean().default(true),
    clientSecretJwt: z.boolean().default(true),
  }).strict().prefault({}),
  /** FAPI 2.0 Security Profile for every client of the tenant */
  fapi2: z.object({ enabled: z.boolean().default(false) }).strict().prefault({}),
}).strict();

export type ProtocolSettings = z.output<typeof protocolSettingsSchema>;

/** the response types a tenant's clients may register: code always, the others as the settings allow */
export function allowedResponseTypes(settings: ProtocolSettings): string[] {
  if (settings.fapi2.enabled) return ['code'];
  return [
    'code',
    ...(settings.responseTypes.implicit ? ['id_token', 'id_token token'] : []),
    ...(settings.responseTypes.hybrid ? ['code id_token', 'code token', 'code id_token token'] : []),
  ];
}

/** what a settings patch may not combine, given the deployment; messages name the setting */
export function protocolProblems(protocol: ProtocolSettings, context: { mtlsHeaderConfigured: boolean; idTokenSigningAlg: string; accessTokenSigningAlg: string }): string[] {
  const problems: string[] = [];
  if (protocol.mtls.enabled && !context.mtlsHeaderConfigured) {
    problems.push('protocol.mtls.enabled: the deployment names no client certificate header (MTLS_CERT_HEADER), so no request could carry a certificate');
  }
  if (protocol.fapi2.enabled) {
    // FAPI 2.0 Security Profile §5.4.1: PS256, ES256 or EdDSA (Ed25519) only; the tenant's RSA keys sign RS256.
    for (const [key, alg] of [['idTokenSigningAlg', context.idTokenSigningAlg], ['accessTokenSigningAlg', context.accessTokenSigningAlg]] as const) {
      if (alg === 'RS256') problems.push(`${key}: FAPI 2.0 forbids RS256; use ES256 or EdDSA`);
    }
    if (!protocol.par.enabled) problems.push('protocol.par.enabled: FAPI 2.0 requires pushed authorization requests');
    if (!protocol.dpop.enabled && !protocol.mtls.enabled) problems.push('protocol.fapi2: FAPI 2.0 needs sender-constrained tokens; enable protocol.dpop or protocol.mtls');
    // §5.3.2.1 (6): private_key_jwt or mTLS authenticate a client; with neither, no client could be registered
    if (!protocol.clientAuth.privateKeyJwt && !protocol.mtls.enabled) problems.push('protocol.clientAuth.privateKeyJwt: FAPI 2.0 authenticates clients by private_key_jwt or mTLS; enable one');
  }
  return problems;
}
