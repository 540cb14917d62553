// A real SMTP server for tests (smtp-server on 127.0.0.1, a free port, no TLS) that parses every message it
// accepts with mailparser, can require credentials, refuse messages with any reply, or go silent.
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface SmtpFailure {
  responseCode: number;
  message: string;
  /** the command the server refuses: the recipient (RCPT TO) or the message (end of DATA, the default) */
  at?: 'rcpt' | 'data';
}

export interface SmtpServerOptions {
  /** refuse every message this way */
  failWith?: SmtpFailure;
  /** require AUTH with exactly these credentials (otherwise AUTH is optional and any credentials pass) */
  credentials?: { user: string; pass: string };
  /** go silent: never greet a client, or never answer the end of DATA */
  stall?: 'greeting' | 'data';
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:port, without credentials */
  url: string;
  port: number;
  /** every accepted message, in arrival order */
  messages: ParsedMail[];
  waitForMessage(predicate: (message: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** the next message (or recipient, with at: 'rcpt') is refused with this reply; later ones are accepted */
  failNext(responseCode: number, message: string, at?: 'rcpt' | 'data'): void;
  close(): Promise<void>;
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const arrivals = new EventEmitter();
  arrivals.setMaxListeners(0);
  let next: SmtpFailure | undefined;

  /** the failure due at this step, if any; a one-shot failure is used up here */
  const failureAt = (step: 'rcpt' | 'data'): Error | null => {
    let failure: SmtpFailure | undefined;
    if (next && (next.at ?? 'data') === step) {
      failure = next;
      next = undefined;
    } else if (options.failWith && (options.failWith.at ?? 'data') === step) {
      failure = options.failWith;
    }
    return failure ? Object.assign(new Error(failure.message), { responseCode: failure.responseCode }) : null;
  };

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: !options.credentials,
    allowInsecureAuth: true,
    closeTimeout: 200,
    onConnect(_session, callback) {
      if (options.stall === 'greeting') return; // never calling back keeps the greeting from being sent
      callback();
    },
    onAuth(auth, _session, callback) {
      const expected = options.credentials;
      if (expected && (auth.username !== expected.user || auth.password !== expected.pass)) {
        return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(_address, _session, callback) {
      callback(failureAt('rcpt'));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          if (options.stall === 'data') return;
          const failure = failureAt('data');
          if (failure) return callback(failure);
          messages.push(mail);
          arrivals.emit('message', mail);
          callback(null, 'queued');
        },
        (err: Error) => callback(err),
      );
    },
  });
  server.on('error', () => {
    // client-side socket errors (a client giving up mid-session) are expected in failure tests
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitForMessage(predicate, timeoutMs = 5_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const onMessage = (mail: ParsedMail) => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          arrivals.off('message', onMessage);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          arrivals.off('message', onMessage);
          reject(new Error(`no matching email within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        arrivals.on('message', onMessage);
      });
    },
    failNext(responseCode, message, at = 'data') {
      next = { responseCode, message, at };
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
