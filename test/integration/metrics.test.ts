// Prometheus metrics on their own listener (METRICS_PORT): requests by route pattern and tenant, tokens by grant,
// logins by method and outcome, and the process's event-loop lag; and the request log honours a W3C traceparent. Labels never hold a raw path, an id or an email.
// test-process: own (the metrics port is picked when the file loads: in a shared process every file loads first, and
// another could take the port before this one's server listens on it)
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { freePort } from '../support/tessera-process.js';
import { createRealm, loginPage, type Realm } from '../support/hosted-pages.js';
import { codeFlow } from '../support/relying-party.js';
import { redirectUri } from '../support/fixtures.js';
import { Browser } from '../support/browser.js';

const metricsPort = await freePort();

/** the value of one series, or undefined; `labels` must match exactly the series' label set written in order */
function valueOf(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (wanted.every((pair) => labelText.split(',').includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics', () => {
  const server = useTessera({ METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' });
  let realm: Realm;
  let interactionPath = '';

  before(async () => {
    realm = await createRealm(server);
  });

  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  };

  it('counts a sign-in, a refused password, and the tokens issued', async () => {
    await codeFlow(realm.firstParty, redirectUri, realm.user);
    const browser = new Browser();
    const { page } = await loginPage(browser, realm.firstParty);
    interactionPath = page.url.pathname;
    const refused = await browser.submit(page, '/login', { email: realm.user.email, password: 'not-the-password' }, () => false);
    assert.ok(!(refused instanceof URL));

    const text = await scrape();
    assert.equal(valueOf(text, 'tessera_logins_total', { method: 'password', outcome: 'success' }), 1);
    assert.equal(valueOf(text, 'tessera_logins_total', { method: 'password', outcome: 'failure' }), 1);
    assert.equal(valueOf(text, 'tessera_tokens_issued_total', { grant_type: 'authorization_code' }), 1);
    assert.ok((valueOf(text, 'tessera_http_requests_total', { route: 'oidc:token', tenant: realm.slug, method: 'POST', status: '200' }) ?? 0) >= 1);
    assert.ok((valueOf(text, 'tessera_http_request_duration_seconds_count', { route: 'oidc:token', tenant: realm.slug, method: 'POST' }) ?? 0) >= 1);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });

  it('labels routes by pattern: no interaction id, email, or unknown path in any series', async () => {
    await fetch(`${server.url}/no/such/path/${'x'.repeat(20)}`);
    const text = await scrape();
    const uid = interactionPath.split('/').filter(Boolean)[3] ?? assert.fail(`no uid in ${interactionPath}`);
    assert.ok(!text.includes(uid), 'the interaction id is not a label');
    assert.ok(!text.includes(realm.user.email), 'no email in a label');
    assert.ok(!text.includes('/no/such/path'), 'an unknown path is not a label');
    assert.ok((valueOf(text, 'tessera_http_requests_total', { route: '/t/:slug/interaction/:uid/login', tenant: realm.slug, method: 'POST' }) ?? 0) >= 1, `the login post under its pattern:\n${text.split('\n').filter((l) => l.startsWith('tessera_http_requests_total')).join('\n')}`);
    assert.ok((valueOf(text, 'tessera_http_requests_total', { route: 'unmatched', tenant: '-', status: '404' }) ?? 0) >= 1);
    // documents served ahead of the provider (discovery, JWKS) and the branding stylesheet are named too
    assert.ok(!text.includes(`route="unmatched",tenant="${realm.slug}"`), 'every tenant route has a name');
  });

  it('logs the trace id of an incoming traceparent with the request', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await fetch(`${server.url}/healthz`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const line = server.output().split('\n').find((l) => l.includes(traceId));
    assert.ok(line, 'a log line carries the trace id');
    assert.match(line, /"requestId":"[0-9a-f-]{36}"/);
  });

  it('is served only on its own listener', async () => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
  });
});
