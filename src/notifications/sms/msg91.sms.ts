// MSG91 SendOTP v5 (`POST {base}/api/v5/otp`, VENDORS §2.1), sending OUR code (`otp`) so that verification stays
// ours like every other provider; MSG91's own verify endpoint is not used.
//
// India DLT: every SMS to an Indian number must match a DLT-registered template of a registered principal
// entity (PE). MSG91 binds both to its own template: the DLT Template ID and the sender are entered when the
// MSG91 template is created and the PE id is checked with it ("Verified by DLT", VENDORS §2.5 [C] S33), and
// MSG91's help sends SendOTP v5 users to map DLT templates in the panel. The OTP v5 API documents no request
// field for either id; the only documented per-request DLT field, `DLT_TE_ID`, belongs to the older free-text
// send-SMS APIs (sendhttp.php, /api/v2/sendsms), which we do not use because the text would have to match the
// DLT template character for character. So `dltTemplateId`/`entityId` are accepted (tenant config carries
// them, they are checked to be DLT-shaped, and `dlt` exposes them for the admin/audit view) but are NOT put on
// the wire: sending undocumented parameters to an API that is documented without them buys nothing.
import { isRecord, ProviderError, redactNumbers, unexpectedAnswer, vendorRequest, withoutTrailingSlash, type VendorAnswer } from '../provider-error.js';
import { digitsOnly, type SmsProvider } from './sms-provider.js';

export interface Msg91SmsOptions {
  authKey: string;
  /** the MSG91 OTP template id (24 hex in the panel), which carries the DLT binding */
  templateId: string;
  /** India DLT content template id, as registered on the DLT portal (19 digits) */
  dltTemplateId?: string;
  /** India DLT principal entity (PE) id */
  entityId?: string;
  /** https://control.msg91.com (https://api.msg91.com is the same API) */
  baseUrl?: string;
  /** the fetch that reaches the vendor: the outbound guard's (net/outbound-guard.ts); default the global one */
  fetch?: typeof fetch;
}

export type Msg91SmsProvider = SmsProvider & { readonly dlt: { templateId: string | null; entityId: string | null } };

const DLT_ID = /^\d{10,25}$/;

export function createMsg91SmsProvider(options: Msg91SmsOptions): Msg91SmsProvider {
  for (const [name, value] of [['dltTemplateId', options.dltTemplateId], ['entityId', options.entityId]] as const) {
    if (value !== undefined && !DLT_ID.test(value)) throw new Error(`MSG91: ${name} must be the numeric id from the DLT portal`);
  }
  const base = withoutTrailingSlash(options.baseUrl ?? 'https://control.msg91.com');

  return {
    name: 'msg91',
    dlt: { templateId: options.dltTemplateId ?? null, entityId: options.entityId ?? null },
    async send(request, signal) {
      // Parameters go in the query string, as the official SDK sends them; the authkey goes in the header
      // (documented for MSG91's v5 APIs) so that it never lands in a URL, where proxies and logs keep it.
      const query = new URLSearchParams({
        template_id: options.templateId,
        mobile: digitsOnly(request.to),
        otp: request.code,
        otp_length: String(request.code.length),
        otp_expiry: String(Math.max(1, Math.ceil(request.ttlMinutes))),
      });
      const answer = await vendorRequest('msg91', `${base}/api/v5/otp?${query}`, {
        method: 'POST',
        headers: { authkey: options.authKey, accept: 'application/json' },
        signal,
      }, options.fetch);
      const body = isRecord(answer.json) ? answer.json : undefined;
      // MSG91 reports errors with HTTP 200 and `type: "error"`: the official SDK branches on `type`, so do we.
      if (body?.type === 'success') {
        const id = body.request_id ?? body.message;
        return { provider: 'msg91', messageId: typeof id === 'string' ? id : null };
      }
      if (body?.type === 'error') throw msg91Error(answer, body);
      throw unexpectedAnswer('msg91', answer);
    },
  };
}

function msg91Error(answer: VendorAnswer, body: Record<string, unknown>): ProviderError {
  const text = typeof body.message === 'string' ? body.message : 'error';
  // MSG91 has no numeric codes on this API: the message is the code. Its exact texts are not documented
  // (VENDORS §2, [U]), so only the recipient case is recognised, loosely.
  const invalidRecipient = /mobile|number/i.test(text) && /invalid|not valid|incorrect/i.test(text);
  return new ProviderError(`msg91: ${redactNumbers(text)}`, {
    provider: 'msg91', code: redactNumbers(text), status: answer.status, retryable: true,
    ...(invalidRecipient ? { invalidRecipient } : {}),
  });
}
