// The WhatsApp Cloud API sender against its local stand-in, which refuses any send that is not Meta's documented
// authentication-template shape (path, Bearer auth, JSON, the code twice, url button at index "0").
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError } from '../../src/notifications/provider-error.js';
import { createWhatsAppSender, type WhatsAppSenderOptions } from '../../src/notifications/whatsapp/whatsapp-sender.js';
import { startWhatsAppStandIn, type WhatsAppStandIn } from '../support/vendors/whatsapp-stand-in.js';

const to = '+919876543210';
const signal = () => AbortSignal.timeout(5000);
let meta: WhatsAppStandIn;

before(async () => {
  meta = await startWhatsAppStandIn();
});
after(() => meta.close());
afterEach(() => assert.deepEqual(meta.rejections.splice(0), [], 'the stand-in refused a request'));

const sender = (extra: Partial<WhatsAppSenderOptions> = {}) => createWhatsAppSender({
  accessToken: meta.accessToken, phoneNumberId: meta.phoneNumberId, templateName: 'verification_code', baseUrl: meta.url, ...extra,
});

async function providerError(send: () => Promise<unknown>): Promise<ProviderError['details']> {
  const error = await send().then(() => assert.fail('expected a ProviderError'), (e: unknown) => e);
  assert.ok(error instanceof ProviderError, `not a ProviderError: ${String(error)}`);
  assert.doesNotMatch(error.message, /9876543210/, 'error messages must not carry the phone number');
  return error.details;
}

test('sends the authentication template with the code as body and copy-code button parameter', async () => {
  const result = await sender().send({ to, code: '482913' }, signal());
  const sent = meta.sent.at(-1)!;
  assert.deepEqual(sent, { messageId: result.messageId, to: '919876543210', templateName: 'verification_code', language: 'en_US', code: '482913' });
  assert.equal(result.waId, '919876543210');
  assert.match(result.messageId, /^wamid\./);
});

const notOnWhatsApp: Array<[string, { status: number; code: number; message: string; details?: string }]> = [
  ['131026 message undeliverable', { status: 400, code: 131026, message: '(#131026) Message Undeliverable.', details: 'Message Undeliverable.' }],
  ['100 not a WhatsApp phone number', { status: 400, code: 100, message: '(#100) Invalid parameter', details: `Recipient phone number ${to} is not a WhatsApp phone number` }],
  ['131030 not in the allowed list', { status: 400, code: 131030, message: '(#131030) Recipient phone number not in allowed list' }],
];
for (const [name, failure] of notOnWhatsApp) {
  test(`${name}: notOnWhatsApp, so the courier can fall back to SMS`, async () => {
    meta.failNext(failure);
    assert.deepEqual(await providerError(() => sender().send({ to, code: '482913' }, signal())),
      { provider: 'whatsapp', code: failure.code, status: failure.status, retryable: true, notOnWhatsApp: true });
  });
}

const otherErrors: Array<[string, { status: number; code: number; message: string; details?: string }]> = [
  ['100 some other invalid parameter', { status: 400, code: 100, message: '(#100) Invalid parameter', details: 'Param template[name] is not valid' }],
  ['130429 throughput rate limit', { status: 429, code: 130429, message: '(#130429) Rate limit hit' }],
  ['131056 pair rate limit', { status: 400, code: 131056, message: '(#131056) (Business Account, Consumer Account) pair rate limit hit' }],
  ['131042 payment problem', { status: 400, code: 131042, message: '(#131042) Business eligibility payment issue' }],
  ['131000 something went wrong', { status: 500, code: 131000, message: '(#131000) Something went wrong' }],
];
for (const [name, failure] of otherErrors) {
  test(`${name}: an error, but not "not on WhatsApp"`, async () => {
    meta.failNext(failure);
    assert.deepEqual(await providerError(() => sender().send({ to, code: '482913' }, signal())),
      { provider: 'whatsapp', code: failure.code, status: failure.status, retryable: true });
  });
}

test('expired token (190), unknown template (132001), unknown phone number id (100)', async () => {
  assert.deepEqual(await providerError(() => sender({ accessToken: 'EAAGexpired' }).send({ to, code: '482913' }, signal())),
    { provider: 'whatsapp', code: 190, status: 401, retryable: true });
  assert.deepEqual(await providerError(() => sender({ templateName: 'no_such_template' }).send({ to, code: '482913' }, signal())),
    { provider: 'whatsapp', code: 132001, status: 404, retryable: true });
  assert.deepEqual(await providerError(() => sender({ languageCode: 'hi' }).send({ to, code: '482913' }, signal())),
    { provider: 'whatsapp', code: 132001, status: 404, retryable: true });
  assert.deepEqual(await providerError(() => sender({ phoneNumberId: '1' }).send({ to, code: '482913' }, signal())),
    { provider: 'whatsapp', code: 100, status: 400, retryable: true });
});

test('a hanging API times out; a code over 15 characters is refused before sending', async () => {
  meta.hang();
  assert.equal((await providerError(() => sender().send({ to, code: '482913' }, AbortSignal.timeout(150)))).code, 'timeout');
  const before = meta.sent.length;
  assert.equal((await providerError(() => sender().send({ to, code: '1234567890123456' }, signal()))).code, 'code_length');
  assert.equal(meta.sent.length, before);
});

test('the stand-in refuses what Meta does not document', async () => {
  const url = `${meta.url}/v21.0/${meta.phoneNumberId}/messages`;
  const headers = { authorization: `Bearer ${meta.accessToken}`, 'content-type': 'application/json' };
  const good = {
    messaging_product: 'whatsapp', to: '919876543210', type: 'template',
    template: { name: 'verification_code', language: { code: 'en_US' }, components: [
      { type: 'body', parameters: [{ type: 'text', text: '1234' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '1234' }] },
    ] },
  };
  const button = (patch: object) => ({ ...good, template: { ...good.template, components: [good.template.components[0], { ...good.template.components[1], ...patch }] } });
  const bad: Array<[RequestInit, number]> = [
    [{ method: 'POST', headers, body: JSON.stringify(button({ index: 0 })) }, 400],
    [{ method: 'POST', headers, body: JSON.stringify(button({ sub_type: 'copy_code' })) }, 400],
    [{ method: 'POST', headers, body: JSON.stringify(button({ parameters: [{ type: 'text', text: '9999' }] })) }, 400],
    [{ method: 'POST', headers, body: JSON.stringify({ ...good, template: { ...good.template, components: [good.template.components[0]] } }) }, 400],
    [{ method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'to=919876543210' }, 400],
    [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) }, 401],
  ];
  const statuses = await Promise.all(bad.map(async ([init]) => (await fetch(url, init)).status));
  assert.deepEqual(statuses, bad.map(([, status]) => status));
  assert.equal(meta.rejections.splice(0).length, bad.length);
  assert.equal((await fetch(url, { method: 'POST', headers, body: JSON.stringify(good) })).status, 200, 'the documented shape is accepted');
});
