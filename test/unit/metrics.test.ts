// What the audit events add to the metrics: logins by method and outcome, code sends by provider and outcome,
// failovers away from a failing provider, rate-limit refusals; label values are bounded words, never free text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/operations/metrics.js';

async function series(text: Promise<string>, name: string): Promise<string[]> {
  return (await text).split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('metrics from audit events', () => {
  it('counts an SMS sent on the second provider as one failure, one success and one failover', async () => {
    const metrics = createMetrics();
    metrics.auditEvent({ tenantId: 't', type: 'otp.sent', data: { channel: 'sms', provider: 'msg91', attempts: [{ provider: 'twilio', ok: false, code: 'http_503' }, { provider: 'msg91', ok: true }] } });
    assert.deepEqual(await series(metrics.registry.metrics(), 'tessera_otp_sends_total'), [
      'tessera_otp_sends_total{channel="sms",provider="twilio",outcome="failure"} 1',
      'tessera_otp_sends_total{channel="sms",provider="msg91",outcome="success"} 1',
    ]);
    assert.deepEqual(await series(metrics.registry.metrics(), 'tessera_otp_failovers_total'), ['tessera_otp_failovers_total{channel="sms",from_provider="twilio"} 1']);
  });

  it('counts logins by method and outcome, lockouts as rate-limit refusals, and never labels free text', async () => {
    const metrics = createMetrics();
    metrics.auditEvent({ tenantId: 't', type: 'login.succeeded', data: { method: 'passkey' } });
    metrics.auditEvent({ tenantId: 't', type: 'login.failed', data: { method: 'password' } });
    metrics.auditEvent({ tenantId: 't', type: 'login.locked', data: { method: 'password' } });
    metrics.auditEvent({ tenantId: 't', type: 'login.failed', data: { method: 'someone@example.com tried "x"' } });
    metrics.rateLimited('permissions-check:5f0c6f8e-1111-2222-3333-444455556666');
    const logins = await series(metrics.registry.metrics(), 'tessera_logins_total');
    assert.deepEqual(logins, [
      'tessera_logins_total{method="passkey",outcome="success"} 1',
      'tessera_logins_total{method="password",outcome="failure"} 1',
      'tessera_logins_total{method="password",outcome="locked"} 1',
      'tessera_logins_total{method="unknown",outcome="failure"} 1',
    ]);
    assert.deepEqual(await series(metrics.registry.metrics(), 'tessera_rate_limited_total'), [
      'tessera_rate_limited_total{limit="login"} 1',
      'tessera_rate_limited_total{limit="permissions-check"} 1',
    ]);
  });
});
