// What every SMS vendor client offers the router: send one code to one E.164 number, and — for vendors that
// generate and check the code themselves (Twilio Verify) — check what the user typed.

export type SmsProviderName = 'twilio' | 'msg91' | '2factor';

export interface SmsSendRequest {
  /** E.164, e.g. +919876543210 (see normalisePhone) */
  to: string;
  /** our own code; vendors with a code template (MSG91, 2Factor, Twilio Verify custom code) send only this */
  code: string;
  /** the whole message; vendors that send free text (Twilio Messaging) send this */
  text: string;
  ttlMinutes: number;
}

export interface SmsSendResult {
  provider: SmsProviderName;
  messageId: string | null;
  /** set when the provider generated/verifies the code itself (Twilio Verify with provider-generated codes):
   *  the code in the request was not sent, and checking must go through check() */
  verification?: { provider: SmsProviderName; ref: string };
}

export interface SmsProvider {
  readonly name: SmsProviderName;
  /** rejects with ProviderError */
  send(request: SmsSendRequest, signal: AbortSignal): Promise<SmsSendResult>;
  /** rejects with ProviderError when the vendor cannot answer; a dead verification is 'expired', not an error */
  check?(ref: string, to: string, code: string, signal: AbortSignal): Promise<'approved' | 'wrong' | 'expired'>;
}

/** E.164 without the '+': the number format of MSG91, 2Factor and WhatsApp (`919876543210`). */
export function digitsOnly(e164: string): string {
  return e164.replace(/^\+/, '');
}
