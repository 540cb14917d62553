// Email over SMTP with nodemailer. One connection per message (no pool): sign-in mail is low volume and
// latency-tolerant, and a fresh connection gives each send a clear outcome — no stale pooled socket to
// fail on a message that another one broke. Every failure becomes a ProviderError the courier can act on.
import type { NodemailerError, Transporter } from 'nodemailer';
import { redactPassword } from '../../errors/redact-password.js';
import { ProviderError, redactNumbers } from '../provider-error.js';
import type { OutboundGuard } from '../../net/outbound-guard.js';

export interface EmailMessage {
  /** an address, or `"Name" <address>` already formatted; with `fromName`, the bare address */
  from: string;
  /** display name (e.g. the tenant's name), encoded by nodemailer: quotes or `<…>` in it cannot change the address */
  fromName?: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}
export interface EmailSender {
  /** rejects with ProviderError (provider 'smtp') */
  send(message: EmailMessage): Promise<{ messageId: string }>;
  close(): Promise<void>;
}

const PROVIDER = 'smtp';

/** nodemailer (about 2 MB of heap) loads with the first message this process sends, not at start */
let library: Promise<typeof import('nodemailer')> | undefined;
const nodemailer = () => (library ??= import('nodemailer'));
const DEFAULT_TIMEOUT_MS = 10_000;

// RFC 4954 §6: 530 authentication required, 534 mechanism too weak, 535 credentials invalid, 538 encryption
// required — a server can answer MAIL FROM with 530 when we never logged in.
const AUTH_REPLIES = new Set([530, 534, 535, 538]);

// Failures of the connection itself, not of what we sent: the next attempt may well succeed.
const NETWORK_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * `url` is `smtp://user:pass@host:port` (STARTTLS when the server offers it; port 587 by default) or
 * `smtps://…` (TLS from the first byte; port 465 by default). User and password are percent-decoded.
 * `timeoutMs` (default 10 s) bounds connecting, the greeting, any silence on the socket, and the whole send.
 * Throws an Error (code `email.invalid_smtp_url`) for any other URL, without echoing it.
 * `guard` (a tenant's own server): the connection is opened through the outbound guard, and with `requireTls`
 * a plain smtp:// server must offer STARTTLS before the password is sent.
 */
export function createSmtpSender(options: { url: string; timeoutMs?: number; guard?: { getSocket: OutboundGuard['smtpSocket']; requireTls: boolean } }): EmailSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const target = parseSmtpUrl(options.url);
  const transportOptions = {
    host: target.host,
    port: target.port,
    secure: target.secure,
    auth: target.auth,
    ...(options.guard ? { getSocket: options.guard.getSocket, requireTLS: options.guard.requireTls } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // The transport must never log: messages carry codes and links.
    logger: false,
    debug: false,
  };
  let transport: Promise<Transporter> | undefined;
  let closed = false;

  return {
    async send(message) {
      if (closed) throw new ProviderError('smtp: the sender is closed', { provider: PROVIDER, code: 'closed', retryable: true });
      // The per-step timeouts reset on every byte: a server trickling replies could hold a send forever
      // without this overall deadline.
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        transport ??= nodemailer().then((m) => m.default.createTransport(transportOptions));
        const info = await (await transport).sendMail({
          from: message.fromName === undefined ? message.from : { name: message.fromName, address: message.from },
          to: message.to,
          subject: message.subject,
          html: message.html,
          text: message.text,
          signal,
          // We only ever send strings: nodemailer must never read a local file or fetch a URL for content.
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        return { messageId: info.messageId };
      } catch (error) {
        throw toProviderError(error, signal.aborted, options.url);
      }
    },
    async close() {
      closed = true;
      (await transport?.catch(() => undefined))?.close();
    },
  };
}

interface SmtpTarget { host: string; port: number | undefined; secure: boolean; auth: { user: string; pass: string } | undefined }

function parseSmtpUrl(value: string): SmtpTarget {
  const invalid = () =>
    Object.assign(new Error('email.invalid_smtp_url: expected smtp://[user:pass@]host[:port] or smtps://…'), {
      code: 'email.invalid_smtp_url',
    });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid();
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) throw invalid();
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw invalid();
    }
  };
  return {
    // WHATWG URL keeps the brackets of an IPv6 literal; sockets want the bare address.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : undefined,
    secure: url.protocol === 'smtps:',
    auth: url.username || url.password ? { user: decode(url.username), pass: decode(url.password) } : undefined,
  };
}

/**
 * retryable: false only when the server refused this message or recipient for good (a permanent 5xx
 * reply to MAIL/RCPT/DATA): resending it would be refused again. Timeouts, connection failures, 4xx
 * replies and authentication problems (ours to fix, not the message's) are retryable.
 */
function toProviderError(error: unknown, timedOut: boolean, url: string): ProviderError {
  const err = (error ?? {}) as NodemailerError;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const reply = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const text = clean(err.response ?? err.message ?? String(error), url);

  if (code === 'OUTBOUND_BLOCKED') {
    return new ProviderError('smtp: the server\'s address is not allowed (OUTBOUND_POLICY)', { provider: PROVIDER, code: 'blocked', retryable: true });
  }
  if (timedOut || code === 'ETIMEDOUT' || code === 'EABORT') {
    return new ProviderError('smtp: no answer before the time limit', { provider: PROVIDER, code: 'timeout', retryable: true });
  }
  if (reply === undefined && code !== undefined && NETWORK_CODES.has(code)) {
    return new ProviderError(`smtp: connection failed (${text})`, { provider: PROVIDER, code: 'network', retryable: true });
  }
  if (code === 'EAUTH' || code === 'ENOAUTH' || (reply !== undefined && AUTH_REPLIES.has(reply))) {
    return new ProviderError(`smtp: authentication failed (${text})`, { provider: PROVIDER, code: reply ?? code, retryable: true });
  }
  const permanent = err.permanent === true || (err.permanent === undefined && reply !== undefined && reply >= 500 && reply !== 503);
  const recipientRefused = permanent && (err.command === 'RCPT TO' || code === 'EENVELOPE');
  return new ProviderError(`smtp: ${code ?? 'error'} (${text})`, {
    provider: PROVIDER,
    code: reply ?? code ?? 'error',
    retryable: !permanent,
    ...(recipientRefused ? { invalidRecipient: true } : {}),
  });
}

// Server replies echo the recipient ("550 <ann@example.com> unknown"); error texts reach logs and the
// audit trail, which must carry neither addresses nor the SMTP password.
function clean(text: string, url: string): string {
  const redacted = redactPassword(text, url).replace(/[^\s<>"'@]+@[^\s<>"']+/g, '[address]');
  return redactNumbers(redacted).replace(/\s+/g, ' ').trim().slice(0, 200);
}
