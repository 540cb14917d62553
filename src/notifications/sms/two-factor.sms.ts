// 2Factor.in, sending OUR code: `GET {base}/API/V1/{api_key}/SMS/{phone}/{otp}[/{template_name}]` (VENDORS §3).
// The API key is part of the path, so no URL built here ever goes into a message or a log. The template name
// picks a DLT-approved template on the 2Factor side (India); without it 2Factor uses its default OTP template.
import { isRecord, ProviderError, redactNumbers, unexpectedAnswer, vendorRequest, withoutTrailingSlash } from '../provider-error.js';
import { digitsOnly, type SmsProvider } from './sms-provider.js';

export interface TwoFactorSmsOptions {
  apiKey: string;
  /** a template name approved in the 2Factor panel (its DLT-registered text contains the OTP variable) */
  templateName?: string;
  /** https://2factor.in */
  baseUrl?: string;
  /** the fetch that reaches the vendor: the outbound guard's (net/outbound-guard.ts); default the global one */
  fetch?: typeof fetch;
}

export function createTwoFactorSmsProvider(options: TwoFactorSmsOptions): SmsProvider {
  const base = withoutTrailingSlash(options.baseUrl ?? 'https://2factor.in');
  const template = options.templateName ? `/${encodeURIComponent(options.templateName)}` : '';

  return {
    name: '2factor',
    async send(request, signal) {
      // Country code + number, digits only: of the formats seen in integrations (10 digits, 91…, +91…) the one
      // that is unambiguous and needs no escaping in a path.
      const path = `/API/V1/${encodeURIComponent(options.apiKey)}/SMS/${digitsOnly(request.to)}/${encodeURIComponent(request.code)}${template}`;
      const answer = await vendorRequest('2factor', `${base}${path}`, { method: 'GET', headers: { accept: 'application/json' }, signal }, options.fetch);
      const body = isRecord(answer.json) ? answer.json : undefined;
      // `Status`/`Details` decide, whatever the HTTP status (errors have been seen with 200 and with 400).
      if (body?.Status === 'Success' && typeof body.Details === 'string') {
        return { provider: '2factor', messageId: body.Details };
      }
      if (body?.Status === 'Error') {
        const details = redactNumbers(typeof body.Details === 'string' ? body.Details : 'error');
        const invalidRecipient = /phone|number|mobile/i.test(details) && /invalid/i.test(details);
        throw new ProviderError(`2factor: ${details}`, {
          provider: '2factor', code: details, status: answer.status, retryable: true,
          ...(invalidRecipient ? { invalidRecipient } : {}),
        });
      }
      throw unexpectedAnswer('2factor', answer);
    },
  };
}
