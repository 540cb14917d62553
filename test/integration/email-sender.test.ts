import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { createSmtpSender, type EmailMessage, type EmailSender } from '../../src/notifications/email/email-sender.js';
import { ProviderError } from '../../src/notifications/provider-error.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const servers: TestSmtpServer[] = [];
const senders: EmailSender[] = [];
after(async () => {
  await Promise.all(senders.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.close()));
});

async function server(options?: Parameters<typeof startSmtpServer>[0]) {
  const s = await startSmtpServer(options);
  servers.push(s);
  return s;
}

/** a send that should succeed (or be refused) gets time to spare: 3 s ran out on a machine busy with other work;
 *  the tests of timing out pass their own short limit */
function sender(url: string, timeoutMs = 30_000) {
  const s = createSmtpSender({ url, timeoutMs });
  senders.push(s);
  return s;
}

const message = (to = 'ann@example.com'): EmailMessage => ({
  from: '"Acme Books" <no-reply@acme.example>',
  to,
  subject: 'Your Acme Books sign-in code — ünïcödé',
  html: '<!doctype html><html><body><p>Your code is <span>482913</span></p></body></html>',
  text: 'Your code is\n\n    482913\n',
});

/** the ProviderError a failed send rejects with, and how long it took */
async function failure(send: Promise<unknown>): Promise<{ error: ProviderError; ms: number }> {
  const started = performance.now();
  const error = await send.then(
    () => assert.fail('the send succeeded'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProviderError, `a ProviderError, got ${String(error)}`);
  assert.equal(error.details.provider, 'smtp');
  return { error, ms: performance.now() - started };
}

/** a TCP port nothing listens on */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('createSmtpSender', () => {
  test('delivers from, to, subject, HTML and text intact', async () => {
    const smtp = await server();
    const { messageId } = await sender(smtp.url).send(message('bob@example.org'));
    const mail = await smtp.waitForMessage((m) => m.messageId === messageId);
    assert.equal(mail.from?.value[0]?.address, 'no-reply@acme.example');
    assert.equal(mail.from?.value[0]?.name, 'Acme Books');
    const to = (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((t) => t?.value.map((v) => v.address) ?? []);
    assert.deepEqual(to, ['bob@example.org']);
    assert.equal(mail.subject, message().subject);
    assert.equal(String(mail.html).trim(), message().html);
    assert.equal(mail.text, message().text);
  });

  test('fromName is only ever a display name, whatever characters the tenant put in it', async () => {
    const smtp = await server();
    const fromName = 'Evil" <attacker@evil.example>, "Acme';
    const { messageId } = await sender(smtp.url).send({ ...message(), from: 'no-reply@acme.example', fromName });
    const mail = await smtp.waitForMessage((m) => m.messageId === messageId);
    assert.deepEqual(mail.from?.value, [{ address: 'no-reply@acme.example', name: fromName }]);
  });

  test('logs in with the user and password of the URL, percent-decoded', async () => {
    const smtp = await server({ credentials: { user: 'mailer@acme.example', pass: 'p@ss:w/rd' } });
    const url = `smtp://${encodeURIComponent('mailer@acme.example')}:${encodeURIComponent('p@ss:w/rd')}@127.0.0.1:${smtp.port}`;
    const { messageId } = await sender(url).send(message());
    await smtp.waitForMessage((m) => m.messageId === messageId);
  });

  test('wrong credentials: a retryable ProviderError that names neither the password nor the address', async () => {
    const smtp = await server({ credentials: { user: 'mailer', pass: 'right' } });
    const { error } = await failure(sender(`smtp://mailer:wrong-secret@127.0.0.1:${smtp.port}`).send(message()));
    assert.equal(error.details.code, 535);
    assert.equal(error.details.retryable, true, 'our configuration, not the message: another route may work');
    assert.ok(!error.message.includes('wrong-secret'), error.message);
    assert.equal(smtp.messages.length, 0);
  });

  test('a server that requires AUTH refuses a sender without credentials', async () => {
    const smtp = await server({ credentials: { user: 'mailer', pass: 'right' } });
    const { error } = await failure(sender(smtp.url).send(message()));
    assert.equal(error.details.code, 530);
    assert.equal(error.details.retryable, true);
    assert.match(error.message, /authentication/);
    assert.equal(smtp.messages.length, 0);
  });

  test('a permanent 5xx refusal of the message is not retryable; a 4xx one is', async () => {
    const smtp = await server();
    const send = sender(smtp.url);
    smtp.failNext(554, 'Message rejected as spam');
    const permanent = await failure(send.send(message()));
    assert.equal(permanent.error.details.code, 554);
    assert.equal(permanent.error.details.retryable, false);
    assert.match(permanent.error.message, /rejected as spam/);

    smtp.failNext(451, 'Try again later');
    const transient = await failure(send.send(message()));
    assert.equal(transient.error.details.code, 451);
    assert.equal(transient.error.details.retryable, true);

    const { messageId } = await send.send(message());
    await smtp.waitForMessage((m) => m.messageId === messageId);
    assert.equal(smtp.messages.length, 1, 'only the accepted message arrived');
  });

  test('a refused recipient is permanent, flagged, and the address is kept out of the error text', async () => {
    const smtp = await server({ failWith: { responseCode: 550, message: '5.1.1 <nobody@example.com> User unknown', at: 'rcpt' } });
    const { error } = await failure(sender(smtp.url).send(message('nobody@example.com')));
    assert.equal(error.details.retryable, false);
    assert.equal(error.details.invalidRecipient, true);
    assert.equal(error.details.code, 550);
    assert.ok(!error.message.includes('nobody@example.com'), error.message);
  });

  test('nothing listening: a retryable network error, long before the timeout', async () => {
    const port = await closedPort();
    const { error, ms } = await failure(sender(`smtp://127.0.0.1:${port}`, 5_000).send(message()));
    assert.equal(error.details.code, 'network');
    assert.equal(error.details.retryable, true);
    assert.ok(ms < 4_000, `${ms} ms`);
  });

  test('a server that accepts the connection but never greets times out, retryable', async () => {
    const silent = await silentServer();
    const { error, ms } = await failure(sender(`smtp://127.0.0.1:${silent.port}`, 500).send(message()));
    assert.equal(error.details.code, 'timeout');
    assert.equal(error.details.retryable, true);
    assert.ok(ms >= 400 && ms < 3_000, `${ms} ms`);
    await silent.close();
  });

  test('a server that goes silent after the message body times out, retryable', async () => {
    const smtp = await server({ stall: 'data' });
    const { error, ms } = await failure(sender(smtp.url, 500).send(message()));
    assert.equal(error.details.code, 'timeout');
    assert.equal(error.details.retryable, true);
    assert.ok(ms >= 400 && ms < 3_000, `${ms} ms`);
  });

  test('smtps:// speaks TLS from the first byte (a plain server cannot answer it)', async () => {
    const smtp = await server();
    const { error } = await failure(sender(`smtps://127.0.0.1:${smtp.port}`, 1_000).send(message()));
    assert.equal(error.details.retryable, true);
    assert.equal(smtp.messages.length, 0);
  });

  test('refuses URLs that are not smtp:// or smtps://, without echoing them', () => {
    for (const url of ['http://mailer:s3cret@127.0.0.1:25', 'smtp://', 'not a url s3cret', 'smtp://u:%E0%A4%A@host']) {
      assert.throws(() => createSmtpSender({ url }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'email.invalid_smtp_url');
        assert.ok(!err.message.includes('s3cret'), err.message);
        return true;
      }, url);
    }
  });

  test('a closed sender refuses to send', async () => {
    const smtp = await server();
    const send = createSmtpSender({ url: smtp.url });
    await send.close();
    const { error } = await failure(send.send(message()));
    assert.equal(error.details.retryable, true);
  });
});

/** accepts TCP connections and never says a word */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const s: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
