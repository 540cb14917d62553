// A tenant's ordered chain of SMS providers, optionally per country calling code (e.g. +91: MSG91 → 2Factor →
// Twilio; elsewhere Twilio). Each provider gets its own time limit; on an error or a timeout the next one is
// tried, and every attempt is kept so the audit log can say which provider delivered and what failed before.
//
// A provider that calls the NUMBER invalid does not stop the chain: providers disagree about numbers (trial
// accounts, region permissions, stale numbering plans, landline/mobile guesses), and the number has already
// passed libphonenumber-js validation. The price for a truly dead number is one request per remaining provider,
// which the send limits cap. Only a ProviderError with `retryable: false` (the recipient opted out) stops it.
import { ProviderError } from '../provider-error.js';
import type { SmsProvider, SmsProviderName, SmsSendRequest, SmsSendResult } from './sms-provider.js';

export interface SmsRoutes { [callingCodeOrDefault: string]: SmsProviderName[] }

export interface DeliveryAttempt { provider: string; ok: boolean; error?: string; code?: string | number; ms: number }

export interface SmsDelivery extends SmsSendResult { attempts: DeliveryAttempt[] }

export class DeliveryFailed extends Error {
  constructor(readonly attempts: DeliveryAttempt[]) {
    super(attempts.length
      ? `SMS not delivered: ${attempts.map((a) => `${a.provider}: ${a.error ?? 'failed'}`).join('; ')}`
      : 'SMS not delivered: no provider is configured for this number');
    this.name = 'DeliveryFailed';
  }
}

export interface SmsRouterOptions {
  providers: Partial<Record<SmsProviderName, SmsProvider>>;
  routes: SmsRoutes;
  /** per attempt; default 5000 */
  timeoutMs?: number;
}

export interface SmsRouter {
  /** rejects with DeliveryFailed when every provider of the chain failed */
  send(request: SmsSendRequest): Promise<SmsDelivery>;
  providerFor(name: SmsProviderName): SmsProvider | undefined;
}

export function createSmsRouter(options: SmsRouterOptions): SmsRouter {
  const timeoutMs = options.timeoutMs ?? 5000;
  for (const key of Object.keys(options.routes)) {
    if (key !== 'default' && !/^\+\d{1,6}$/.test(key)) throw new Error(`SMS routes: "${key}" is neither "default" nor a calling code like "+91"`);
  }
  // Longest first, so that a route for "+1876" (a NANP area) wins over "+1".
  const prefixes = Object.keys(options.routes).filter((key) => key !== 'default').sort((a, b) => b.length - a.length);

  function chainFor(to: string): SmsProviderName[] {
    const prefix = prefixes.find((p) => to.startsWith(p));
    return options.routes[prefix ?? 'default'] ?? [];
  }

  async function attempt(provider: SmsProvider, request: SmsSendRequest): Promise<SmsSendResult> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The signal lets a well-behaved provider cancel its request; the race makes sure one that ignores it still
    // cannot hold the chain beyond its limit.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new ProviderError(`${provider.name}: no answer within ${timeoutMs} ms`, { provider: provider.name, code: 'timeout', retryable: true }));
      }, timeoutMs);
    });
    try {
      return await Promise.race([provider.send(request, controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async send(request) {
      const attempts: DeliveryAttempt[] = [];
      for (const name of chainFor(request.to)) {
        const provider = options.providers[name];
        if (!provider) {
          // Named in the routes but without credentials: recorded, so a misconfiguration shows in the audit.
          attempts.push({ provider: name, ok: false, error: 'not configured', code: 'not_configured', ms: 0 });
          continue;
        }
        const started = performance.now();
        try {
          const result = await attempt(provider, request);
          attempts.push({ provider: name, ok: true, ms: elapsed(started) });
          return { ...result, attempts };
        } catch (error) {
          const failure: DeliveryAttempt = { provider: name, ok: false, error: error instanceof Error ? error.message : String(error), ms: elapsed(started) };
          if (error instanceof ProviderError && error.details.code !== undefined) failure.code = error.details.code;
          attempts.push(failure);
          // Anything that is not a ProviderError is a bug in that client: the next provider may still deliver.
          if (error instanceof ProviderError && !error.details.retryable) break;
        }
      }
      throw new DeliveryFailed(attempts);
    },
    providerFor: (name) => options.providers[name],
  };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
