// WhatsApp OTP through Meta's Cloud API: `POST {graph}/{version}/{phone-number-id}/messages` with an approved
// authentication template (category "authentication", copy-code button). VENDORS §4 [C] S40: the code goes in
// twice — as the body parameter and as the parameter of the button, which Meta stores as a URL button, hence
// `sub_type: "url"`, `index: "0"` at send time. Most delivery failures (e.g. 131026) arrive later by webhook;
// this sender sees only the synchronous ones, and the courier falls back to SMS on those.
import { isRecord, ProviderError, redactNumbers, unexpectedAnswer, vendorRequest, withoutTrailingSlash, type VendorAnswer } from '../provider-error.js';
import { digitsOnly } from '../sms/sms-provider.js';

export interface WhatsAppSender {
  /** rejects with ProviderError (details.notOnWhatsApp when the recipient cannot receive WhatsApp) */
  send(request: { to: string /* E.164 */; code: string }, signal: AbortSignal): Promise<{ messageId: string; waId: string | null }>;
}

export interface WhatsAppSenderOptions {
  /** system-user or temporary access token of the WhatsApp Business account */
  accessToken: string;
  /** the business phone number's id in the Cloud API (not the number itself) */
  phoneNumberId: string;
  /** name of the approved authentication template, e.g. "verification_code" */
  templateName: string;
  /** the template's language as approved; default en_US */
  languageCode?: string;
  /** Graph API version; default v21.0 (one of the versions Meta's examples use) */
  apiVersion?: string;
  /** https://graph.facebook.com */
  baseUrl?: string;
  /** the fetch that reaches the vendor: the outbound guard's (net/outbound-guard.ts); default the global one */
  fetch?: typeof fetch;
}

/** Meta's limit for the code of an authentication template (VENDORS §4 [C]). */
const MAX_CODE_LENGTH = 15;

export function createWhatsAppSender(options: WhatsAppSenderOptions): WhatsAppSender {
  const base = withoutTrailingSlash(options.baseUrl ?? 'https://graph.facebook.com');
  const url = `${base}/${options.apiVersion ?? 'v21.0'}/${encodeURIComponent(options.phoneNumberId)}/messages`;
  const language = options.languageCode ?? 'en_US';

  return {
    async send(request, signal) {
      if (request.code.length === 0 || request.code.length > MAX_CODE_LENGTH) {
        throw new ProviderError(`whatsapp: a template code is 1–${MAX_CODE_LENGTH} characters`, { provider: 'whatsapp', code: 'code_length', retryable: true });
      }
      const parameter = [{ type: 'text', text: request.code }];
      const message = {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        // Digits with country code, as in Meta's examples; the answer's contacts[].input echoes it.
        to: digitsOnly(request.to),
        type: 'template',
        template: {
          name: options.templateName,
          language: { code: language },
          components: [
            { type: 'body', parameters: parameter },
            { type: 'button', sub_type: 'url', index: '0', parameters: parameter },
          ],
        },
      };
      const answer = await vendorRequest('whatsapp', url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(message),
        signal,
      }, options.fetch);
      const body = isRecord(answer.json) ? answer.json : undefined;
      if (answer.status >= 200 && answer.status < 300 && body) {
        const messageId = first(body.messages)?.id;
        if (typeof messageId !== 'string') throw unexpectedAnswer('whatsapp', answer);
        const waId = first(body.contacts)?.wa_id;
        return { messageId, waId: typeof waId === 'string' ? waId : null };
      }
      if (body && isRecord(body.error)) throw whatsAppError(answer, body.error);
      throw unexpectedAnswer('whatsapp', answer);
    },
  };
}

function first(list: unknown): Record<string, unknown> | undefined {
  return Array.isArray(list) && isRecord(list[0]) ? list[0] : undefined;
}

function whatsAppError(answer: VendorAnswer, error: Record<string, unknown>): ProviderError {
  // Meta: build logic on `code` and `error_data.details`, not on the title in `message` (VENDORS §4 [C] S43).
  const code = typeof error.code === 'number' ? error.code : undefined;
  const details = isRecord(error.error_data) && typeof error.error_data.details === 'string' ? error.error_data.details : '';
  const title = typeof error.message === 'string' ? error.message : `HTTP ${answer.status}`;
  // 131026: not a WhatsApp user / old client / terms not accepted. 100 is "invalid parameter" in general;
  // only its "not a WhatsApp phone number" variant is about the recipient. 131030: the number is not on the
  // test allow-list, so from this sender it cannot receive WhatsApp either — the fallback to SMS is the same.
  const notOnWhatsApp = code === 131026 || code === 131030 || (code === 100 && /not a (valid )?whatsapp/i.test(`${details} ${title}`));
  return new ProviderError(`whatsapp: ${redactNumbers(details || title)}${code === undefined ? '' : ` (${code})`}`, {
    provider: 'whatsapp', code, status: answer.status, retryable: true,
    ...(notOnWhatsApp ? { notOnWhatsApp } : {}),
  });
}
