// Structured logs (pino). Secrets never reach a log line: we log paths without query strings, never bodies,
// and redact the headers and fields that could carry credentials should an object slip through.
// Development prints them for a person (pino-pretty, in this process: redaction applies before formatting);
// production and tests keep one JSON object per line for log pipelines.
import { pino, type DestinationStream, type Logger } from 'pino';
import { createRequire } from 'node:module';

// pino-pretty loads only for pretty lines: servers in production and the CLI never need it
const load = createRequire(import.meta.url);

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
        '*.password', '*.client_secret', '*.code', '*.refresh_token', '*.access_token', '*.id_token', '*.token',
      ],
      censor: '[redacted]',
    },
  };
  if (options.pretty) return pino(settings, (load('pino-pretty') as typeof import('pino-pretty')).PinoPretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true }));
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
