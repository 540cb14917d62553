// Structured logs (pino). Secrets never reach a log line: we log paths without query strings, never bodies,
// and redact the headers and fields that could carry credentials should an object slip through.
// Development prints them for a person (pino-pretty, in this process: redaction applies before formatting);
// production and tests keep one JSON object per line for log pipelines.
import { pino, type DestinationStream, type Logger } from 'pino';
import { createRequire } from 'node:module';

// pino-pretty loads only for pretty lines: servers in production and the CLI never need it
const load = createRequire(import.meta.url);

/**
 * Fields that hold a credential in some request of Tessera: the hosted forms, the backend OTP API (`app_secret`, `otp`),
 * the REST auth API (`code`, `password`, `new_password`, `refresh_token`, `recovery_code`, `code_verifier`) and the
 * protocol endpoints.
 */
export const secretFields = [
  'password', 'new_password', 'current_password', 'client_secret', 'app_secret', 'secret', 'code', 'otp', 'recovery_code',
  'code_verifier', 'refresh_token', 'access_token', 'id_token', 'token', 'client_assertion',
] as const;

/**
 * @param options.pretty lines for a person (development)
 * @param options.destination where lines go; default stdout (the test suite captures a server's log in its own process)
 */
export function createLogger(level: string, options: { pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const settings = {
    level,
    base: undefined,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
        // at the top of a log object and one level down (pino's `*` matches one key)
        ...secretFields, ...secretFields.map((field) => `*.${field}`),
      ],
      censor: '[redacted]',
    },
  };
  if (options.pretty) return pino(settings, (load('pino-pretty') as typeof import('pino-pretty')).PinoPretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true }));
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
