// The backend license API (issue #20) over HTTP, as a vendor's backend calls it for its devices: activate (the seat
// race, idempotent re-activation, churn limits), validate (the nonce echoed in a signed answer), heartbeat (silent
// activations released), deactivate (from the device, or later from its signed receipt), revocation (online at once,
// offline at the token's expiry, on the test clock), and every error. Tokens are checked offline with `jose` alone;
// each device-side step is read back from the tenant's audit log through the Management API.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JSONWebKeySet } from 'jose';
import { cliJson, createTenant } from '../support/fixtures.js';
import { query } from '../support/email-flows.js';
import { letTimePass } from '../support/test-clock.js';
import { useTessera } from '../support/use-tessera.js';
import { client, operator, type ApiClient } from '../support/management.js';
import { createDeactivationReceipt, LicenseVerificationError, verifyLicense, verifyLicenseAnswer } from '../../src/verify/index.js';

interface App { app_id: string; app_secret: string }
interface AuditEntry { actor: string; outcome: string; subject: string; data: Record<string, unknown> }
interface Activation { activation: { id: string; license_id: string; device_name: string | null; last_heartbeat_at: string }; reactivated: boolean; license_token: string; expires_at: string }

describe('backend license API (/licenses/…)', () => {
  const server = useTessera({}, { movableClock: true });
  let slug: string;
  let issuer: string;
  let app: App;
  let jwks: JSONWebKeySet;
  let auditReader: ApiClient;

  const post = async (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}/licenses/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, ...body }) });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text || 'null') as any, headers: response.headers, text };
  };
  async function expectError(answer: Promise<{ status: number; body: any; text: string }>, status: number, error: string) {
    const { status: got, body, text } = await answer;
    assert.equal(got, status, text);
    assert.equal(body.error, error);
    assert.ok(body.message);
  }
  async function product(flags: string[]): Promise<string> {
    const created = await cliJson<{ product_id: string; policy_id: string }>(server, ['license', 'product', 'create', '--tenant', slug, '--name', `P ${randomUUID().slice(0, 6)}`, ...flags]);
    return created.product_id;
  }
  const issue = (productId: string) => cliJson<{ key: string; license_id: string }>(server, ['license', 'issue', '--tenant', slug, '--product', productId]);
  const licenseOf = (id: string) => cliJson<{ seats_used: number; activations: Array<{ id: string; active: boolean; release_reason: string | null; last_heartbeat_at: string }> }>(server, ['license', 'get', '--tenant', slug, '--id', id]);
  const device = () => `device-${randomUUID()}`;
  /** a license's entries of one type in the tenant's audit log, newest first */
  async function auditOf(licenseId: string, type: string): Promise<AuditEntry[]> {
    const answer = await auditReader.get(`/tenants/${slug}/audit?type=${type}&subject=${encodeURIComponent(`license:${licenseId}`)}&limit=100`);
    assert.equal(answer.status, 200, answer.text);
    return answer.body.items;
  }
  /** the server's clock, which the test moves on */
  const now = () => new Date(server.clock!.now());

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    app = await cliJson<App>(server, ['app', 'create', '--tenant', slug, '--name', 'Desktop backend', '--slug', 'desktop-backend']);
    jwks = (await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet;
    auditReader = client(server, (await operator(server, ['audit:read'])).token);
  });

  it('activates a device: the license token is an EdDSA JWS with a kid of the tenant\'s JWKS, checked offline by jose alone', async () => {
    const productId = await product(['--max-devices', '5', '--days', '365', '--entitlement', 'pro', '--entitlement', 'export', '--heartbeat', '3600', '--grace', '86400']);
    const { key, license_id: licenseId } = await issue(productId);
    const fingerprint = device();
    const answer = await post('activate', { key, device_fingerprint: fingerprint, device_name: 'Ada\'s laptop' });
    assert.equal(answer.status, 200, answer.text);
    const activated = answer.body as Activation;
    assert.equal(activated.reactivated, false);
    assert.equal(activated.activation.license_id, licenseId);
    assert.equal(activated.activation.device_name, 'Ada\'s laptop');
    const header = decodeProtectedHeader(activated.license_token);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'license+jwt');
    assert.ok(jwks.keys.some((k) => k.kid === header.kid && k.alg === 'EdDSA' && k.crv === 'Ed25519'));
    // offline: the saved JWKS and jose, nothing else
    const { payload } = await jwtVerify(activated.license_token, createLocalJWKSet(jwks), { issuer, audience: productId, typ: 'license+jwt', algorithms: ['EdDSA'], currentDate: now() });
    assert.equal(payload.sub, licenseId);
    assert.equal(payload.product, productId);
    assert.deepEqual(payload.entitlements, ['pro', 'export']);
    assert.equal(payload.dfp, createHash('sha256').update(fingerprint).digest('base64url'));
    assert.equal(payload.act, activated.activation.id);
    assert.equal(payload.grace, 86400);
    assert.equal(payload.exp, payload.iat! + 3600 + 86400);
    assert.equal(payload.nbf, payload.iat);
    assert.ok(typeof payload.jti === 'string' && typeof payload.seq === 'number' && typeof payload.policy === 'string');
    assert.equal(new Date(activated.expires_at).getTime(), payload.exp! * 1000);
    const claims = await verifyLicense(activated.license_token, { issuer, jwks, deviceFingerprint: fingerprint, productId, currentDate: now() });
    assert.equal(claims.act, activated.activation.id);
    // online, without a saved JWKS: it is fetched from {issuer}/jwks
    assert.equal((await verifyLicense(activated.license_token, { issuer, deviceFingerprint: fingerprint, currentDate: now() })).sub, licenseId);
    await assert.rejects(verifyLicense(activated.license_token, { issuer, jwks, deviceFingerprint: device(), currentDate: now() }), (e: LicenseVerificationError) => e.code === 'fingerprint_mismatch');
    const [entry, ...others] = await auditOf(licenseId, 'license.activated');
    assert.equal(others.length, 0);
    assert.deepEqual([entry?.actor, entry?.outcome, entry?.data], [`app:${app.app_id}`, 'success', { activation_id: activated.activation.id, device_name: 'Ada\'s laptop' }]);
  });

  it('re-activating an active device is idempotent: the same activation, no second seat, a newer sequence number', async () => {
    const { key, license_id: licenseId } = await issue(await product(['--max-devices', '2']));
    const fingerprint = device();
    const first = (await post('activate', { key, device_fingerprint: fingerprint })).body as Activation;
    const again = await post('activate', { key: key.toLowerCase().replace(/-/g, ' '), device_fingerprint: fingerprint });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.activation.id, first.activation.id);
    assert.equal(again.body.reactivated, true);
    assert.ok((decodeJwt(again.body.license_token).seq as number) > (decodeJwt(first.license_token).seq as number));
    assert.equal((await licenseOf(licenseId)).seats_used, 1);
    // one activation, one entry
    assert.deepEqual((await auditOf(licenseId, 'license.activated')).map((e) => e.data.activation_id), [first.activation.id]);
  });

  it('50 concurrent activations of a 5-seat key from 50 devices give exactly 5 activations', async () => {
    const { key, license_id: licenseId } = await issue(await product(['--max-devices', '5', '--churn-limit', '1000']));
    const answers = await Promise.all(Array.from({ length: 50 }, () => post('activate', { key, device_fingerprint: device() })));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 5, JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 409).map((a) => a.text)));
    assert.ok(answers.filter((a) => a.status !== 200).every((a) => a.status === 409 && a.body.error === 'license.seat_limit'));
    const license = await licenseOf(licenseId);
    assert.equal(license.seats_used, 5);
    assert.equal(license.activations.length, 5);
    assert.equal((await auditOf(licenseId, 'license.activated')).length, 5);
    const refused = await auditOf(licenseId, 'license.activation_refused');
    assert.equal(refused.length, 45);
    assert.ok(refused.every((e) => e.outcome === 'failure' && e.data.reason === 'seat_limit' && e.actor === `app:${app.app_id}`));
  });

  it('validate answers with a signed answer echoing the nonce: another nonce (a replay) is refused', async () => {
    const productId = await product(['--max-devices', '1', '--entitlement', 'pro']);
    const { key, license_id: licenseId } = await issue(productId);
    const fingerprint = device();
    const activated = (await post('activate', { key, device_fingerprint: fingerprint })).body as Activation;
    const nonce = randomUUID();
    const byKey = await post('validate', { key, device_fingerprint: fingerprint, nonce });
    assert.equal(byKey.status, 200, byKey.text);
    assert.equal(byKey.body.valid, true);
    assert.equal(byKey.body.nonce, nonce);
    assert.equal(byKey.body.activation.id, activated.activation.id);
    const signed = await verifyLicenseAnswer(byKey.body.signed_answer, { issuer, jwks, nonce, currentDate: now() });
    assert.deepEqual(signed.entitlements, ['pro']);
    const { payload } = await jwtVerify(byKey.body.signed_answer, createLocalJWKSet(jwks), { issuer, typ: 'license-validation+jwt', currentDate: now() });
    assert.equal(payload.nonce, nonce);
    await assert.rejects(verifyLicenseAnswer(byKey.body.signed_answer, { issuer, jwks, nonce: randomUUID(), currentDate: now() }), (e: LicenseVerificationError) => e.code === 'nonce_mismatch');
    const byToken = await post('validate', { license_token: activated.license_token, device_fingerprint: fingerprint, nonce: 'n-2' });
    assert.equal(byToken.status, 200, byToken.text);
    assert.equal(decodeJwt(byToken.body.signed_answer).nonce, 'n-2');
    await expectError(post('validate', { license_token: activated.license_token, device_fingerprint: device() }), 403, 'license.fingerprint_mismatch');
    await expectError(post('validate', { key, device_fingerprint: device() }), 409, 'license.not_activated');
    // every validation in the audit chain, the refused ones too (newest first)
    const validated = await auditOf(licenseId, 'license.validated');
    assert.deepEqual(validated.map((e) => [e.actor, e.data.activation_id, e.data.nonce]), [[`app:${app.app_id}`, activated.activation.id, true], [`app:${app.app_id}`, activated.activation.id, true]]);
    const refused = await auditOf(licenseId, 'license.refused');
    assert.deepEqual(refused.map((e) => [e.outcome, e.data]), [['failure', { step: 'validate', code: 'license.not_activated' }], ['failure', { step: 'validate', code: 'license.fingerprint_mismatch' }]]);
  });

  it('heartbeat renews the token with a higher sequence (an older one is refused offline as a rollback); a device silent past the heartbeat loses its seat', async () => {
    const { key, license_id: licenseId } = await issue(await product(['--max-devices', '1', '--heartbeat', '600', '--grace', '3600']));
    const fingerprint = device();
    const activated = (await post('activate', { key, device_fingerprint: fingerprint })).body as Activation;
    await letTimePass(server, 300_000);
    const beat = await post('heartbeat', { license_token: activated.license_token, device_fingerprint: fingerprint });
    assert.equal(beat.status, 200, beat.text);
    assert.equal(beat.body.activation.id, activated.activation.id);
    const seq = decodeJwt(beat.body.license_token).seq as number;
    assert.ok(seq > (decodeJwt(activated.license_token).seq as number));
    await verifyLicense(beat.body.license_token, { issuer, jwks, minimumSequence: seq, currentDate: now() });
    await assert.rejects(verifyLicense(activated.license_token, { issuer, jwks, minimumSequence: seq, currentDate: now() }), (e: LicenseVerificationError) => e.code === 'rollback');
    // silent for longer than the heartbeat interval: the seat goes to the next device
    await letTimePass(server, 601_000);
    await expectError(post('validate', { key, device_fingerprint: fingerprint }), 409, 'license.not_activated');
    const other = await post('activate', { key, device_fingerprint: device() });
    assert.equal(other.status, 200, other.text);
    await expectError(post('heartbeat', { key, device_fingerprint: fingerprint }), 409, 'license.not_activated');
    const license = await licenseOf(licenseId);
    assert.equal(license.activations.find((a) => a.id === activated.activation.id)?.release_reason, 'silent');
    const released = await auditOf(licenseId, 'license.activation_released');
    assert.deepEqual(released.map((e) => [e.actor, e.data]), [[`app:${app.app_id}`, { activation_id: activated.activation.id, reason: 'silent' }]]);
    assert.deepEqual((await auditOf(licenseId, 'license.heartbeat')).map((e) => e.data.activation_id), [activated.activation.id], 'the heartbeat that renewed the token');
  });

  it('a heartbeat is what reveals the silence: the silent device\'s seat is released (and audited) though nothing else touched the license', async () => {
    const { key, license_id: licenseId } = await issue(await product(['--max-devices', '1', '--heartbeat', '600']));
    const fingerprint = device();
    const activated = (await post('activate', { key, device_fingerprint: fingerprint })).body as Activation;
    await letTimePass(server, 601_000);
    await expectError(post('heartbeat', { key, device_fingerprint: fingerprint }), 409, 'license.not_activated');
    assert.equal((await licenseOf(licenseId)).activations[0]?.release_reason, 'silent');
    assert.deepEqual((await auditOf(licenseId, 'license.activation_released')).map((e) => e.data.activation_id), [activated.activation.id]);
    // released once: the next sweep finds nothing more to release
    assert.equal((await post('activate', { key, device_fingerprint: device() })).status, 200);
    assert.equal((await auditOf(licenseId, 'license.activation_released')).length, 1);
  });

  it('a floating policy lends seats as leases: a lease lapses after its time without a heartbeat, and the token says so (hb)', async () => {
    const { key } = await issue(await product(['--max-devices', '2', '--floating', '--lease', '120', '--grace', '0']));
    const first = (await post('activate', { key, device_fingerprint: device() })).body as Activation;
    const claims = decodeJwt(first.license_token);
    assert.deepEqual([claims.hb, claims.exp! - claims.iat!], [120, 120]);
    await post('activate', { key, device_fingerprint: device() });
    await expectError(post('activate', { key, device_fingerprint: device() }), 409, 'license.seat_limit');
    await letTimePass(server, 121_000);
    assert.equal((await post('activate', { key, device_fingerprint: device() })).status, 200);
  });

  it('deactivate frees the seat for another device; deactivating again finds no seat', async () => {
    const { key, license_id: licenseId } = await issue(await product(['--max-devices', '1']));
    const fingerprint = device();
    await post('activate', { key, device_fingerprint: fingerprint });
    await expectError(post('activate', { key, device_fingerprint: device() }), 409, 'license.seat_limit');
    const done = await post('deactivate', { key, device_fingerprint: fingerprint });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.deactivated, true);
    assert.equal((await post('activate', { key, device_fingerprint: device() })).status, 200);
    await expectError(post('deactivate', { key, device_fingerprint: fingerprint }), 409, 'license.not_activated');
    const entries = await auditOf(licenseId, 'license.deactivated');
    assert.deepEqual(entries.map((e) => [e.actor, e.data]), [[`app:${app.app_id}`, { activation_id: done.body.activation_id, by: 'device' }]]);
  });

  it('an offline device\'s signed deactivation receipt frees its seat when presented later, once', async () => {
    const { key, license_id: licenseId } = await issue(await product(['--max-devices', '1']));
    const fingerprint = device();
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const activated = (await post('activate', { key, device_fingerprint: fingerprint, device_public_key: await exportJWK(publicKey) })).body as Activation;
    const dfp = decodeJwt(activated.license_token).dfp as string;
    const receipt = await createDeactivationReceipt(await exportJWK(privateKey), { activationId: activated.activation.id, fingerprintHash: dfp });
    // a receipt signed by any other key frees nothing
    const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const forged = await createDeactivationReceipt(await exportJWK(stranger.privateKey), { activationId: activated.activation.id, fingerprintHash: dfp });
    await expectError(post('deactivate', { receipt: forged }), 400, 'license.invalid_receipt');
    await expectError(post('deactivate', { receipt: 'not.a.receipt' }), 400, 'license.invalid_receipt');
    const presented = await post('deactivate', { receipt });
    assert.equal(presented.status, 200, presented.text);
    assert.deepEqual(presented.body, { deactivated: true, activation_id: activated.activation.id, already: false });
    assert.equal((await licenseOf(licenseId)).activations[0]?.release_reason, 'receipt');
    assert.equal((await post('deactivate', { receipt })).body.already, true);
    assert.equal((await post('activate', { key, device_fingerprint: device() })).status, 200);
    // presented twice, freed once: one entry, naming the receipt
    const [entry, ...others] = await auditOf(licenseId, 'license.deactivated');
    assert.equal(others.length, 0);
    assert.deepEqual([entry?.data.activation_id, entry?.data.by, typeof entry?.data.receipt_id], [activated.activation.id, 'receipt', 'string']);
  });

  it('activations and deactivations of a key are limited per hour (churn): past the limit, license.rate_limited with Retry-After', async () => {
    const { key } = await issue(await product(['--max-devices', '1', '--churn-limit', '3']));
    const fingerprint = device();
    assert.equal((await post('activate', { key, device_fingerprint: fingerprint })).status, 200);
    // re-activating the same device is not churn: it is not counted
    assert.equal((await post('activate', { key, device_fingerprint: fingerprint })).status, 200);
    assert.equal((await post('deactivate', { key, device_fingerprint: fingerprint })).status, 200);
    assert.equal((await post('activate', { key, device_fingerprint: fingerprint })).status, 200);
    const refused = await post('deactivate', { key, device_fingerprint: fingerprint });
    await expectError(Promise.resolve(refused), 429, 'license.rate_limited');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    await expectError(post('activate', { key, device_fingerprint: device() }), 429, 'license.rate_limited');
  });

  it('a revoked key fails online validation at once; its offline token keeps verifying until its expiry, then stops', async () => {
    const productId = await product(['--max-devices', '2', '--heartbeat', '3600', '--grace', '7200']);
    const { key, license_id: licenseId } = await issue(productId);
    const fingerprint = device();
    const activated = (await post('activate', { key, device_fingerprint: fingerprint })).body as Activation;
    const revoked = await cliJson<{ license: { status: string }; released: number }>(server, ['license', 'revoke', '--tenant', slug, '--id', licenseId]);
    assert.equal(revoked.license.status, 'revoked');
    assert.equal(revoked.released, 1);
    await expectError(post('validate', { key, device_fingerprint: fingerprint }), 403, 'license.revoked');
    await expectError(post('validate', { license_token: activated.license_token, device_fingerprint: fingerprint }), 403, 'license.revoked');
    await expectError(post('heartbeat', { key, device_fingerprint: fingerprint }), 403, 'license.revoked');
    await expectError(post('activate', { key, device_fingerprint: device() }), 403, 'license.revoked');
    assert.deepEqual((await auditOf(licenseId, 'license.refused')).map((e) => e.data), ['activate', 'heartbeat', 'validate', 'validate'].map((step) => ({ step, code: 'license.revoked' })));
    // offline, the device cannot know: the token holds until exp (heartbeat + grace = 3 h), and not a moment past it
    await verifyLicense(activated.license_token, { issuer, jwks, deviceFingerprint: fingerprint, currentDate: now() });
    await letTimePass(server, (3600 + 7200 + 61) * 1000);
    await assert.rejects(verifyLicense(activated.license_token, { issuer, jwks, deviceFingerprint: fingerprint, currentDate: now() }), (e: LicenseVerificationError) => e.code === 'expired');
    await assert.rejects(jwtVerify(activated.license_token, createLocalJWKSet(jwks), { issuer, currentDate: now() }), { code: 'ERR_JWT_EXPIRED' });
  });

  it('a license past its validity days is expired: license.expired', async () => {
    const { key } = await issue(await product(['--max-devices', '1', '--days', '1']));
    const fingerprint = device();
    const activated = (await post('activate', { key, device_fingerprint: fingerprint })).body as Activation;
    // the token never outlives the license
    assert.ok(decodeJwt(activated.license_token).exp! <= (decodeJwt(activated.license_token).lic_exp as number));
    await letTimePass(server, 86_400_000 + 1000);
    await expectError(post('validate', { key, device_fingerprint: fingerprint }), 403, 'license.expired');
    await expectError(post('activate', { key, device_fingerprint: device() }), 403, 'license.expired');
  });

  it('refuses bad keys, tokens, input and callers with codes from the catalogue', async () => {
    const { key } = await issue(await product(['--max-devices', '1']));
    const typo = `${key.slice(0, 3)}${key[3] === 'A' ? 'B' : 'A'}${key.slice(4)}`;
    await expectError(post('activate', { key: typo, device_fingerprint: device() }), 400, 'license.invalid_key');
    await expectError(post('activate', { key: 'ABCDE', device_fingerprint: device() }), 400, 'license.invalid_key');
    await expectError(post('activate', { key: 42, device_fingerprint: device() }), 400, 'license.invalid_key');
    const other = await cliJson<{ key: string }>(server, ['license', 'issue', '--tenant', slug, '--product', await product(['--max-devices', '1'])]);
    // a well-formed key nobody issued: the same shape, another random body with a right check character
    const { generateLicenseKey } = await import('../../src/verify/license-key-format.js');
    await expectError(post('activate', { key: generateLicenseKey(), device_fingerprint: device() }), 404, 'license.not_found');
    await expectError(post('validate', { license_token: 'e30.e30.sig', device_fingerprint: device() }), 401, 'license.invalid_token');
    await expectError(post('validate', { key, license_token: 'x', device_fingerprint: device() }), 400, 'request.invalid');
    await expectError(post('validate', { device_fingerprint: device() }), 400, 'request.invalid');
    await expectError(post('activate', { key: other.key }), 400, 'request.invalid');
    await expectError(post('activate', { key: other.key, device_fingerprint: device(), device_public_key: { kty: 'OKP', crv: 'Ed25519', x: 'a', d: 'secret' } }), 400, 'request.invalid');
    await expectError(post('activate', { key, device_fingerprint: device(), app_secret: 'wrong' }), 401, 'app.invalid_credentials');
    await expectError(post('activate', { key, device_fingerprint: device() }, { origin: 'https://evil.example' }), 403, 'request.origin_refused');
    const notJson = await fetch(`${server.url}/licenses/activate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(notJson.status, 415);
    const array = await fetch(`${server.url}/licenses/activate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    assert.equal(array.status, 400);
  });

  it('a tenant without an Ed25519 key (made before EdDSA keys existed) answers license.signing_unavailable, not a 500', async () => {
    const { slug: old } = await createTenant(server);
    const oldApp = await cliJson<App>(server, ['app', 'create', '--tenant', old, '--name', 'Old', '--slug', 'old-app']);
    const { product_id: productId } = await cliJson<{ product_id: string }>(server, ['license', 'product', 'create', '--tenant', old, '--name', 'Old', '--max-devices', '1']);
    const { key } = await cliJson<{ key: string }>(server, ['license', 'issue', '--tenant', old, '--product', productId]);
    await query(server.env.DATABASE_URL!, `DELETE FROM signing_keys WHERE alg = 'EdDSA' AND tenant_id = (SELECT id FROM tenants WHERE slug = $1)`, [old]);
    const response = await fetch(`${server.url}/licenses/activate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: oldApp.app_id, app_secret: oldApp.app_secret, key, device_fingerprint: device() }) });
    await expectError(Promise.resolve({ status: response.status, body: await response.json(), text: '' }), 503, 'license.signing_unavailable');
  });
});
