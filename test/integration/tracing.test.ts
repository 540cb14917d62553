// OpenTelemetry, optional (issue #15): with an OTLP endpoint, a client_credentials token request is exported as a
// server span — the child of the caller's `traceparent` — with the database queries it made as its children, to a
// local OTLP/HTTP receiver (JSON, POST /v1/traces); the introspection of that token, in the same trace, has the
// Redis command it made (the revocation list) as its child. A machine token touches no Redis itself: it is a JWT,
// and the client is cached in the process. With no endpoint, no @opentelemetry module is loaded at all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as nodeModule from 'node:module';
import { after, before, describe, it } from 'node:test';
import { createClient, createTenant } from '../support/fixtures.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { startInProcess } from '../support/in-process-tessera.js';
import { waitFor } from '../support/phone-flows.js';
import type { TesseraProcess } from '../support/tessera-process.js';

// Every module this process resolves from here on is noted, so the test can tell whether OpenTelemetry was loaded
// (the servers run in this process for that reason).
const resolved: string[] = [];
(nodeModule as unknown as { registerHooks(hooks: { resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => { url: string }): { url: string } }): void })
  .registerHooks({
    resolve(specifier, context, next) {
      const result = next(specifier, context);
      resolved.push(result.url);
      return result;
    },
  });
const openTelemetryLoaded = () => resolved.filter((url) => url.includes('/@opentelemetry/'));

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: Array<{ key: string; value: Record<string, unknown> }> }

/** a stand-in OTLP/HTTP collector: keeps the spans of every JSON export it is sent */
async function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(req.headers['content-type'] ?? '');
      const exported = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const resource of exported.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, contentTypes, close: () => new Promise((resolve) => server.close(resolve)) };
}

const basic = (client: { client_id: string; client_secret: string | null }) => `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
const form = 'application/x-www-form-urlencoded';

/** a machine token of a new client, then its introspection; `headers` go with both */
async function machineToken(server: TesseraProcess, headers: Record<string, string> = {}) {
  const { slug } = await createTenant(server);
  const client = await createClient(server, slug, ['--grant', 'client_credentials']);
  const metadata = (await (await fetch(`${server.issuer(slug)}/.well-known/openid-configuration`)).json()) as { token_endpoint: string; introspection_endpoint: string };
  const response = await fetch(metadata.token_endpoint, { method: 'POST', headers: { 'content-type': form, authorization: basic(client), ...headers }, body: 'grant_type=client_credentials' });
  assert.equal(response.status, 200, await response.clone().text());
  const { access_token: token } = (await response.json()) as { access_token: string };
  const introspection = await fetch(metadata.introspection_endpoint, { method: 'POST', headers: { 'content-type': form, authorization: basic(client), ...headers }, body: `token=${token}` });
  assert.deepEqual(((await introspection.json()) as { active: boolean }).active, true);
  return { clientId: client.client_id };
}

const attribute = (span: OtlpSpan, key: string) => span.attributes?.find((a) => a.key === key)?.value;

describe('OpenTelemetry tracing', () => {
  let services: TestServices;
  before(async () => {
    services = await createTestServices();
  });
  after(async () => {
    await services?.drop();
  });

  it('with no OTLP endpoint, no @opentelemetry module is loaded', async () => {
    const server = await startInProcess(services.env);
    try {
      await machineToken(server, { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
    } finally {
      await server.stop();
    }
    assert.deepEqual(openTelemetryLoaded(), []);
  });

  describe('with an endpoint', () => {
    let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
    let server: TesseraProcess;
    before(async () => {
      receiver = await otlpReceiver();
      server = await startInProcess({ ...services.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, LOG_LEVEL: 'info' });
    });
    after(async () => {
      await server?.stop();
      await receiver?.close();
    });

    it('exports the token request as a child of the incoming traceparent, with its database and Redis spans', async () => {
      const traceId = randomBytes(16).toString('hex');
      const callerSpan = randomBytes(8).toString('hex');
      const { clientId } = await machineToken(server, { traceparent: `00-${traceId}-${callerSpan}-01` });
      const token = await waitFor('the token span', async () => receiver.spans.find((s) => s.traceId === traceId && s.name === 'POST oidc:token'), 15_000);
      assert.equal(token.parentSpanId, callerSpan, 'the caller\'s span is the parent');
      assert.equal(token.kind, 2, 'a server span');
      assert.deepEqual(attribute(token, 'http.response.status_code'), { intValue: 200 });

      const queries = await waitFor('its database spans', async () => {
        const spans = receiver.spans.filter((s) => s.traceId === traceId && s.parentSpanId === token.spanId && s.name.startsWith('db '));
        return spans.length ? spans : undefined;
      }, 15_000);
      assert.deepEqual(attribute(queries[0]!, 'db.system.name'), { stringValue: 'postgresql' });
      assert.equal(queries[0]!.kind, 3, 'a client span');
      assert.ok(receiver.spans.every((q) => !JSON.stringify(q).includes(clientId)), 'statements without their values (the client id looked up)');

      const introspection = await waitFor('the introspection span', async () => receiver.spans.find((s) => s.traceId === traceId && s.name === 'POST oidc:introspection'), 15_000);
      assert.equal(introspection.parentSpanId, callerSpan);
      const redis = await waitFor('its Redis span', async () => receiver.spans.find((s) => s.traceId === traceId && s.parentSpanId === introspection.spanId && s.name.startsWith('redis ')), 15_000);
      assert.deepEqual(attribute(redis, 'db.system.name'), { stringValue: 'redis' });
      assert.equal(redis.name, 'redis get');

      assert.ok(receiver.contentTypes.length > 0 && receiver.contentTypes.every((type) => type.startsWith('application/json')), 'OTLP/HTTP with the JSON encoding');
      assert.ok(openTelemetryLoaded().length > 0, 'the SDK was loaded for this server');
    });

    it('a request without traceparent starts a trace of its own, and its log line names that trace', async () => {
      const before = new Set(receiver.spans.map((s) => s.traceId));
      await machineToken(server);
      const token = await waitFor('the new trace', async () => receiver.spans.find((s) => s.name === 'POST oidc:token' && !before.has(s.traceId)), 15_000);
      assert.equal(token.parentSpanId ?? '', '');
      assert.ok(server.output().includes(`"traceId":"${token.traceId}"`), 'the request log carries the span\'s trace id');
    });
  });
});
