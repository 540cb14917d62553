// Twilio, over its REST API as twilio-node sends it (VENDORS §1): HTTP Basic AccountSid:AuthToken, form-encoded
// PascalCase fields, `Accept: application/json`. Two ways to send, chosen by the tenant:
// - Programmable Messaging (`POST /2010-04-01/Accounts/{sid}/Messages.json`): our text, our code, we verify;
// - Verify v2 (`POST /v2/Services/{VA…}/Verifications`): either Twilio generates and checks the code
//   (providerGeneratedCodes → the result carries the VE sid and check() asks VerificationCheck), or it sends
//   our code as `CustomCode` in its own template and we verify as usual.
import { isRecord, ProviderError, redactNumbers, unexpectedAnswer, vendorRequest, withoutTrailingSlash, type VendorAnswer } from '../provider-error.js';
import type { SmsProvider, SmsSendRequest, SmsSendResult } from './sms-provider.js';

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  /** sender number / alphanumeric id; or messagingServiceSid (MG…). One of the two for Messaging. */
  from?: string;
  messagingServiceSid?: string;
  /** send through Verify instead of Messaging */
  verify?: { serviceSid: string; providerGeneratedCodes: boolean };
  apiBaseUrl?: string;
  verifyBaseUrl?: string;
  /** the fetch that reaches the vendor: the outbound guard's (net/outbound-guard.ts); default the global one */
  fetch?: typeof fetch;
}

/** 'To' is not a usable mobile number (21211 invalid, 21614 not mobile, 60205 landline, 60006 invalid downstream). */
const INVALID_RECIPIENT = new Set([21211, 21614, 60205, 60006]);
/** The recipient replied STOP to our sender: sending the same thing through another route would be evasion. */
const OPTED_OUT = new Set([21610]);
/** Verify's own code rule (VENDORS §1.2: Code 4–10 chars); anything else can only be a wrong code. */
const VERIFY_CODE = /^[0-9A-Za-z]{4,10}$/;

export function createTwilioSmsProvider(options: TwilioSmsOptions): SmsProvider {
  if (!options.verify && !options.from && !options.messagingServiceSid) {
    throw new Error('Twilio: set `from` or `messagingServiceSid` (Messaging), or `verify`');
  }
  const apiBase = withoutTrailingSlash(options.apiBaseUrl ?? 'https://api.twilio.com');
  const verifyBase = withoutTrailingSlash(options.verifyBaseUrl ?? 'https://verify.twilio.com');
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;

  function post(provider: string, url: string, fields: Record<string, string>, signal: AbortSignal): Promise<VendorAnswer> {
    return vendorRequest(provider, url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(fields).toString(),
      signal,
    }, options.fetch);
  }

  async function sendMessage(request: SmsSendRequest, signal: AbortSignal): Promise<SmsSendResult> {
    const fields: Record<string, string> = { To: request.to, Body: request.text };
    // A Messaging Service picks the sender itself (and handles opt-outs, geo-matching): prefer it when both are set.
    if (options.messagingServiceSid) fields.MessagingServiceSid = options.messagingServiceSid;
    else fields.From = options.from!;
    const url = `${apiBase}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
    const answer = await post('twilio', url, fields, signal);
    if (!ok(answer)) throw twilioError('twilio', answer);
    const body = answer.json as Record<string, unknown>;
    // Failures are normally asynchronous (status callback); a message already failed at creation is one too.
    if (body.status === 'failed' || body.status === 'undelivered') {
      throw new ProviderError(`twilio: message ${String(body.status)}`, {
        provider: 'twilio', code: typeof body.error_code === 'number' ? body.error_code : undefined, status: answer.status, retryable: true,
      });
    }
    return { provider: 'twilio', messageId: typeof body.sid === 'string' ? body.sid : null };
  }

  async function startVerification(request: SmsSendRequest, signal: AbortSignal): Promise<SmsSendResult> {
    const verify = options.verify!;
    const fields: Record<string, string> = { To: request.to, Channel: 'sms' };
    if (!verify.providerGeneratedCodes) fields.CustomCode = request.code;
    const answer = await post('twilio-verify', `${verifyBase}/v2/Services/${encodeURIComponent(verify.serviceSid)}/Verifications`, fields, signal);
    if (!ok(answer)) throw twilioError('twilio-verify', answer);
    const sid = (answer.json as Record<string, unknown>).sid;
    if (typeof sid !== 'string') throw unexpectedAnswer('twilio-verify', answer);
    return verify.providerGeneratedCodes
      ? { provider: 'twilio', messageId: sid, verification: { provider: 'twilio', ref: sid } }
      : { provider: 'twilio', messageId: sid };
  }

  const provider: SmsProvider = {
    name: 'twilio',
    send: (request, signal) => (options.verify ? startVerification(request, signal) : sendMessage(request, signal)),
  };
  if (options.verify) {
    const serviceSid = options.verify.serviceSid;
    provider.check = async (ref, _to, code, signal) => {
      // Twilio answers 400/60200 for a malformed code; for the user it is simply a wrong one.
      if (!VERIFY_CODE.test(code)) return 'wrong';
      const url = `${verifyBase}/v2/Services/${encodeURIComponent(serviceSid)}/VerificationCheck`;
      const answer = await post('twilio-verify', url, { VerificationSid: ref, Code: code }, signal);
      if (ok(answer)) {
        const status = (answer.json as Record<string, unknown>).status;
        if (status === 'approved') return 'approved';
        // A wrong code is a 2xx with status "pending" (VENDORS §1.2, [T]); canceled/expired/max_attempts are dead.
        return status === 'pending' ? 'wrong' : 'expired';
      }
      const vendorCode = isRecord(answer.json) ? Number(answer.json.code) : NaN;
      // 404/20404: expired, already approved or deleted; 60202: five wrong checks — the verification is dead.
      if (answer.status === 404 || vendorCode === 20404 || vendorCode === 60202) return 'expired';
      throw twilioError('twilio-verify', answer);
    };
  }
  return provider;
}

function ok(answer: VendorAnswer): boolean {
  // Twilio documents 201 for creates, but 200 has been observed for Verify (VENDORS §1.2): any 2xx with a JSON body.
  return answer.status >= 200 && answer.status < 300 && isRecord(answer.json);
}

function twilioError(provider: string, answer: VendorAnswer): ProviderError {
  const body = isRecord(answer.json) ? answer.json : undefined;
  if (!body || (body.code === undefined && body.message === undefined)) return unexpectedAnswer(provider, answer);
  const code = typeof body.code === 'number' || typeof body.code === 'string' ? body.code : undefined;
  const numeric = Number(code);
  const message = typeof body.message === 'string' ? redactNumbers(body.message) : `HTTP ${answer.status}`;
  const invalidRecipient = INVALID_RECIPIENT.has(numeric) || (numeric === 60200 && /\bTo\b/.test(message));
  return new ProviderError(`${provider}: ${message}${code === undefined ? '' : ` (${code})`}`, {
    provider, code, status: answer.status,
    retryable: !OPTED_OUT.has(numeric),
    ...(invalidRecipient ? { invalidRecipient } : {}),
  });
}
