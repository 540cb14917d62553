// Structured logs (pino). Secrets never reach a log line: we log paths without query strings, never bodies,
// and redact the headers and fields that could carry credentials should an object slip through.
import { pino, type DestinationStream, type Logger } from 'pino';

/** @param destination where lines go; default stdout (the test suite captures a server's log in its own process) */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
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
  return destination ? pino(options, destination) : pino(options);
}
