// RFC 8705 behind a TLS-terminating proxy: the proxy verifies the TLS client certificate and passes it on in a
// header (MTLS_CERT_HEADER, URL-encoded PEM as nginx's $ssl_client_escaped_cert). That header is only honoured
// from a trusted proxy: http/client-certificate.ts removes it from every other request before the provider runs.
import { X509Certificate } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';

export interface MtlsHeaders {
  /** lower-case name of the header carrying the certificate */
  readonly certHeader: string;
  /** lower-case name of the header whose value SUCCESS says the proxy verified the chain against its CA */
  readonly verifyHeader: string | undefined;
}

const headerValue = (ctx: KoaContextWithOIDC, name: string) => {
  const value = ctx.get(name);
  return value.length > 0 && value.length < 16_384 ? value : undefined;
};

/** the PEM certificate the proxy passed on, or undefined (absent, or not a certificate) */
export function certificateOf(ctx: KoaContextWithOIDC, headers: MtlsHeaders): X509Certificate | undefined {
  const raw = headerValue(ctx, headers.certHeader);
  if (!raw) return undefined;
  try {
    const pem = raw.includes('%') ? decodeURIComponent(raw) : raw;
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** tls_client_auth: the proxy checked the chain against the CA it trusts (self-signed certificates do not) */
export function certificateAuthorized(ctx: KoaContextWithOIDC, headers: MtlsHeaders): boolean {
  return !!headers.verifyHeader && headerValue(ctx, headers.verifyHeader) === 'SUCCESS';
}

// RFC 4514 DNs as a set of `type=value` pairs, compared without regard to order or the case of the type.
function dnPairs(dn: string, separator: RegExp): Set<string> {
  return new Set(dn.split(separator).map((part) => part.trim()).filter(Boolean).map((part) => {
    const at = part.indexOf('=');
    return `${part.slice(0, at).trim().toUpperCase()}=${part.slice(at + 1).trim()}`;
  }));
}

const sanPrefix: Record<string, string> = {
  tls_client_auth_san_dns: 'DNS:', tls_client_auth_san_uri: 'URI:', tls_client_auth_san_ip: 'IP Address:', tls_client_auth_san_email: 'email:',
};

/** RFC 8705 §2.1.2: the registered subject DN or SAN entry is the certificate's */
export function certificateSubjectMatches(certificate: X509Certificate, property: string, expected: string): boolean {
  if (property === 'tls_client_auth_subject_dn') {
    const actual = dnPairs(certificate.subject, /\n/);
    const wanted = dnPairs(expected, /(?<!\\),/);
    return actual.size === wanted.size && [...wanted].every((pair) => actual.has(pair));
  }
  const prefix = sanPrefix[property];
  if (!prefix || !certificate.subjectAltName) return false;
  return certificate.subjectAltName.split(', ').some((entry) => entry === `${prefix}${expected}`);
}
