// Structured logs (pino). Secrets never reach a log line: we log paths without query strings, never bodies,
// and redact the headers and fields that could carry credentials should an object slip through.
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
        '*.password', '*.client_secret', '*.code', '*.refresh_token', '*.access_token', '*.id_token', '*.token',
      ],
      censor: '[redacted]',
    },
  });
}
