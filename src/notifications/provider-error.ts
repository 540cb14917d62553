// The one error every sender rejects with, so the SMS router and the courier can decide what to do next
// without knowing any vendor's error shape; plus the HTTP call every vendor client shares, which turns
// transport failures (timeout, refused connection, non-JSON answer) into that same error.

export interface ProviderErrorDetails {
  /** 'twilio' | 'twilio-verify' | 'msg91' | '2factor' | 'whatsapp' | 'smtp' */
  provider: string;
  /** the vendor's own error code (21211, 131026, "OTP Mismatch"…), or 'timeout' / 'network' / 'bad_response' / 'blocked' */
  code?: string | number;
  /** HTTP status of the vendor's answer, when there was one */
  status?: number;
  /** try the next provider? Yes for timeouts, 5xx, 429, auth and balance problems, and even for an
   *  invalid number (providers disagree about numbers; see invalidRecipient). No only when sending
   *  elsewhere would be wrong, e.g. the recipient opted out (Twilio 21610). */
  retryable: boolean;
  /** WhatsApp only: the recipient cannot receive WhatsApp from us (131026, 100 "not a WhatsApp phone number", 131030) */
  notOnWhatsApp?: boolean;
  /** the provider says the recipient's number itself is invalid or unreachable as a mobile */
  invalidRecipient?: boolean;
}

export class ProviderError extends Error {
  constructor(message: string, readonly details: ProviderErrorDetails) {
    super(message);
    this.name = 'ProviderError';
  }
}

/**
 * Vendors echo the recipient's number in their error texts ("The 'To' number +91… is not valid"); error
 * messages end up in delivery attempts and the audit log, which must not carry phone numbers.
 */
export function redactNumbers(text: string): string {
  return text.replace(/\+?\d[\d ()-]{6,}\d/g, '[number]');
}

export interface VendorAnswer {
  status: number;
  /** parsed JSON, or undefined when the body was empty or not JSON */
  json: unknown;
}

/**
 * fetch() with the caller's AbortSignal. Resolves with any HTTP answer (vendors differ on whether errors are
 * HTTP errors: MSG91 says "error" with 200); rejects only with ProviderError for transport failures.
 * The URL is never put into messages: 2Factor carries its API key in the path.
 */
export async function vendorRequest(provider: string, url: string, init: RequestInit & { signal: AbortSignal }, fetchFn: typeof fetch = fetch): Promise<VendorAnswer> {
  try {
    const response = await fetchFn(url, init);
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  } catch (error) {
    if (init.signal.aborted) {
      throw new ProviderError(`${provider}: no answer before the time limit`, { provider, code: 'timeout', retryable: true });
    }
    if (error instanceof Error && (error.cause as { code?: unknown } | undefined)?.code === 'OUTBOUND_BLOCKED') {
      throw new ProviderError(`${provider}: the destination is not allowed (OUTBOUND_POLICY)`, { provider, code: 'blocked', retryable: true });
    }
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new ProviderError(`${provider}: request failed (${redactNumbers(reason)})`, { provider, code: 'network', retryable: true });
  }
}

/** The vendor answered something none of its documented shapes describe (HTML error page, empty body…). */
export function unexpectedAnswer(provider: string, answer: VendorAnswer): ProviderError {
  return new ProviderError(`${provider}: unexpected answer (HTTP ${answer.status})`, {
    provider, code: 'bad_response', status: answer.status, retryable: true,
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Base URLs come from tenant config; `https://host/` and `https://host` must build the same paths. */
export function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

const transportCodes = new Set<unknown>(['timeout', 'network', 'bad_response', 'blocked']);

/**
 * An attempt's code as the tenant's audit log shows it: the vendor's own error code, or `delivery_failed` for
 * every transport outcome (no answer, refused, not allowed, not the vendor's answer). Told apart, those turn a
 * configurable base URL into a port probe; the server log keeps the detail (without secrets).
 */
export function auditCode(code: string | number | undefined): string | number | undefined {
  return transportCodes.has(code) ? 'delivery_failed' : code;
}
