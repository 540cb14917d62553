// Structured logs (pino). Secrets never reach a log line: we log paths without query strings, never bodies,
// and redact the headers and fields that could carry credentials should an object slip through.
// Development prints them for a person (pino-pretty, in this process: redaction applies before formatting);
// production and tests keep one JSON object per line for log pipelines.
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
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
  if (!options.pretty) return pino(settings);
  return pino(settings, PinoPretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true }));
}
