// Probing endpoints with hostile, malformed, missing and oversized input (test/integration/bad-input-*.test.ts):
// the probes, what each answer must be, and the check that nothing secret we sent reached a server's output.
import assert from 'node:assert/strict';
import { formsOf, isPage, type Browser, type Page } from './browser.js';
import { redirectUri } from './fixtures.js';
import type { TesseraProcess } from './tessera-process.js';

export interface Probe { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }
export interface Answer { status: number; headers: Headers; text: string; json: Record<string, unknown> | null }

export type Expect =
  | { kind: 'rfc'; status: number; error?: string } // RFC 6749 / OIDC error JSON from oidc-provider
  | { kind: 'app'; status: number; error?: string } // our `{error, message}` JSON
  | { kind: 'page'; status: number; text?: RegExp } // our branded HTML page
  | { kind: 'ok'; status: number }
  | { kind: 'redirect'; error: string }; // the error goes back to the client's redirect_uri

export const form = 'application/x-www-form-urlencoded';
export const megabyte = Buffer.alloc(1024 * 1024, 'a');
const stackTrace = /\n\s+at [^\n]+\(|node_modules|\.(?:js|ts|mjs):\d+:\d+|Error: [^\n]*\n\s+at /;

/** one request as sent (redirects not followed), its body read as text and, when it parses, as JSON */
export async function call(base: string, probe: Probe): Promise<Answer> {
  const response = await fetch(new URL(probe.path, base), {
    method: probe.method ?? 'GET', body: typeof probe.body === 'string' ? probe.body : probe.body && new Uint8Array(probe.body), redirect: 'manual', headers: { accept: 'application/json', ...probe.headers },
  });
  const text = await response.text();
  let json: Record<string, unknown> | null = null;
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
  return { status: response.status, headers: response.headers, text, json };
}

function label(probe: Probe): string {
  const path = probe.path.length > 100 ? `${probe.path.slice(0, 100)}…(${probe.path.length})` : probe.path;
  return `${probe.method ?? 'GET'} ${path} ${JSON.stringify(probe.headers ?? {})}`;
}

/** what every answer must satisfy, whatever was sent */
export function assertSafe(answer: Answer, what: string) {
  assert.ok(answer.status < 500, `${what} → ${answer.status}\n${answer.text.slice(0, 500)}`);
  assert.doesNotMatch(answer.text, stackTrace, `${what}: stack trace in the body`);
}

export function assertExpected(answer: Answer, expected: Expect, what: string) {
  assertSafe(answer, what);
  const body = `${what} → ${answer.status} ${answer.text.slice(0, 300)}`;
  switch (expected.kind) {
    case 'rfc':
      assert.equal(answer.status, expected.status, body);
      assert.match(String(answer.json?.error), /^[a-z_]+$/, `${body}: an RFC error code`);
      assert.equal(answer.json?.message, undefined, body);
      if (expected.error) assert.equal(answer.json?.error, expected.error, body);
      break;
    case 'app':
      assert.equal(answer.status, expected.status, body);
      assert.match(String(answer.json?.error), /^[a-z]+\.[a-z_]+$/, `${body}: a catalogue code`);
      assert.equal(typeof answer.json?.message, 'string', body);
      if (expected.error) assert.equal(answer.json?.error, expected.error, body);
      break;
    case 'page':
      assert.equal(answer.status, expected.status, body);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/html/, body);
      assert.match(answer.text, /^<!doctype html>/, body);
      assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/, body);
      if (expected.text) assert.match(answer.text, expected.text, body);
      break;
    case 'ok':
      assert.equal(answer.status, expected.status, body);
      break;
    case 'redirect': {
      assert.ok([302, 303].includes(answer.status), body);
      const location = new URL(answer.headers.get('location') ?? '', 'http://invalid');
      assert.ok(location.href.startsWith(redirectUri), `${body}: to the redirect_uri, got ${location.href}`);
      // query for the code flow; fragment when the (refused) response_type asked for one (OAuth 2.0 Multiple Response Types)
      const params = location.search ? location.searchParams : new URLSearchParams(location.hash.slice(1));
      assert.equal(params.get('error'), expected.error, body);
      break;
    }
  }
}

/** sends each probe as an API client, then as a browser: the browser gets a page or the same answer, never worse */
export async function check(base: string, cases: [Probe, Expect][]) {
  for (const [probe, expected] of cases) {
    const answer = await call(base, probe);
    assertExpected(answer, expected, label(probe));
    const html = await call(base, { ...probe, headers: { ...probe.headers, accept: 'text/html' } });
    assertSafe(html, `${label(probe)} as a browser`);
    if (html.headers.get('content-type')?.startsWith('text/html') && html.status >= 400) {
      assert.match(html.text, /<!doctype html>/, `${label(probe)} as a browser: our page`);
    }
  }
}

/** none of `sent` appears, as sent or URL-encoded, in what the servers printed (they must log at trace level) */
export function assertNoSecretsIn(servers: [name: string, server: TesseraProcess][], sent: Iterable<string>) {
  for (const [name, server] of servers) {
    const output = server.output();
    assert.ok(output.length > 0, `${name} logged at trace level`);
    for (const secret of sent) {
      assert.ok(!output.includes(secret), `${name} output contains a secret it was sent (${secret.slice(0, 6)}…)`);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) assert.ok(!output.includes(encoded), `${name} output contains a URL-encoded secret`);
    }
  }
}

/** nested `depth` levels deep as JSON text (built as text: JSON.stringify itself would recurse that deep) */
export const deepJson = (depth: number, open = '{"a":', close = '}') => `${open.repeat(depth)}1${close.repeat(depth)}`;

/**
 * Values that passed shape checks but broke what came after (issue #13): nesting past any stack, a NUL (PostgreSQL
 * cannot store or compare it), years PostgreSQL's timestamps do not hold, integers beyond 64 bits. As JSON text.
 */
export const hostileJsonValues: Array<[label: string, json: string]> = [
  ['10,000-deep object', deepJson(10_000)],
  ['10,000-deep array', deepJson(10_000, '[', ']')],
  ['NUL in text', '"a\\u0000b"'],
  ['year 0', '"0000-01-01T00:00:00Z"'],
  ['year 10000', '"+010000-01-01T00:00:00Z"'],
  ['beyond 64 bits', '99999999999999999999'],
  ['below -2^63', '-9223372036854775809'],
  ['huge float', '1e308'],
];

/** the same as they arrive in a query string or a form field (already URL-encoded) */
export const hostileTextValues: Array<[label: string, encoded: string]> = [
  ['NUL', '%00'],
  ['NUL in text', 'a%00b'],
  ['year 0', '0000-01-01T00%3A00%3A00Z'],
  ['year 0 (local)', '0000-01-01T00%3A00'],
  ['year 10000', '%2B010000-01-01T00%3A00%3A00Z'],
  ['5-digit year', '10000-01-01T00%3A00%3A00Z'],
  ['beyond 64 bits', '99999999999999999999'],
  ['19 digits beyond bigint', '9999999999999999999'],
  ['huge float', '1e400'],
];

/** cursors a client could forge: well-formed wrappers around out-of-range values */
export const hostileCursors: Array<[label: string, cursor: string]> = [
  ['audit id beyond bigint', Buffer.from(JSON.stringify({ after: '9999999999999999999' })).toString('base64url')],
  ['audit id beyond 64 bits', Buffer.from(JSON.stringify({ after: '99999999999999999999' })).toString('base64url')],
  ['NUL key', Buffer.from(JSON.stringify({ after: 'a\u0000' })).toString('base64url')],
  ['user at year 0', Buffer.from('0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url')],
  ['user at year 10000', Buffer.from('+010000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url')],
];

/** the same as a browser types them into a form field (not encoded) */
export const hostileFormValues: Array<[label: string, value: string]> = [
  ['NUL', '\u0000'],
  ['NUL in text', 'Ada\u0000Lovelace'],
  ['year 0', '0000-01-01T00:00'],
  ['year 10000', '+010000-01-01T00:00:00Z'],
  ['beyond 64 bits', '99999999999999999999'],
  ['huge float', '1e400'],
  ['1,000-deep JSON', deepJson(1000)],
  ['20,000 characters', 'é'.repeat(20_000)],
];

/** names of every field the form with this action attribute sends: inputs, text areas and selects */
export function fieldNames(html: string, action: string): string[] {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    if ((/action="([^"]*)"/i.exec(match[1]!)?.[1] ?? '') !== action) continue;
    return [...new Set([...match[2]!.matchAll(/<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"/gi)].map((m) => m[1]!))];
  }
  return [];
}

/** the fields the form of `page` whose action ends with `suffix` sends */
export function formFields(page: Page, suffix: string): string[] {
  const form = formsOf(page.html).find((f) => new URL(f.action, page.url).pathname.endsWith(suffix));
  assert.ok(form, `no form ending in ${suffix} on ${page.url.pathname}`);
  return fieldNames(page.html, form.action);
}

/**
 * Each hostile value in turn in each field of the hosted form of `page` whose action ends with `suffix` (its CSRF
 * token too), the other fields as the page has them, sent as that browser: every answer is our page, never a 500, and
 * none completes the sign-in (reaches `stop`, the relying party). `only`: these of its fields. @returns how many were sent
 */
export async function sweepHostedForm(browser: Browser, page: Page, suffix: string, stop: (location: URL) => boolean, only?: string[]): Promise<number> {
  const names = formFields(page, suffix).filter((name) => !only || only.includes(name));
  assert.ok(names.length > 0, `the ${suffix} form sends no field${only ? ` of ${only.join(', ')}` : ''}`);
  let probes = 0;
  for (const field of names) {
    for (const [label, value] of hostileFormValues) {
      const what = `${page.url.pathname} → ${suffix} ${field}=${label}`;
      const step = await browser.submit(page, suffix, { [field]: value }, stop);
      probes++;
      assert.ok(isPage(step), `${what}: reached ${String(step)}`);
      assertSafe({ status: step.status, headers: step.headers, text: step.html, json: null }, what);
      assert.match(step.headers.get('content-type') ?? '', /^text\/html/, `${what}: a page`);
      assert.match(step.html, /^<!doctype html>/i, `${what}: our page`);
    }
  }
  return probes;
}
