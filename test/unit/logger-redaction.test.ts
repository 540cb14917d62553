// Secrets never logged (issue #16, DESIGN.md "Errors and bad input"): whatever object reaches a log line, the fields
// that carry credentials in any request of Tessera are redacted, at the top of the object and one level down.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { logger: createLogger('info', { destination }), text: () => lines.join('') };
}

const secrets = {
  app_secret: 'app-secret-value', otp: '482913', code: '551177', refresh_token: 'rt-value', access_token: 'at-value',
  password: 'pw-value', new_password: 'new-pw-value', recovery_code: 'rc-value', code_verifier: 'verifier-value', client_secret: 'cs-value',
};

describe('logger redaction', () => {
  it('redacts every credential field at the top of a log object and inside one', async () => {
    const { logger, text } = capture();
    logger.info(secrets, 'top level');
    logger.info({ body: secrets, req: { headers: { authorization: 'Basic c2VjcmV0', cookie: 'sid=cookie-value' } } }, 'nested');
    await new Promise((resolve) => setImmediate(resolve));
    const log = text();
    assert.match(log, /top level/);
    assert.match(log, /nested/);
    for (const [field, value] of Object.entries(secrets)) assert.ok(!log.includes(value), `${field} reached the log: ${log}`);
    assert.ok(!log.includes('c2VjcmV0') && !log.includes('cookie-value'), 'headers reached the log');
    assert.match(log, /"app_secret":"\[redacted\]"/);
  });
});
