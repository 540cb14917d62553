// A minimal browser for black-box flows: a cookie jar that honours Path and expiry, manual redirects,
// and submission of the HTML forms our pages render (no JavaScript needed, like the pages themselves).
import { Agent, request } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';

interface Cookie { name: string; value: string; path: string; expires: number }

export interface Page { url: URL; status: number; html: string; headers: Headers }

export interface Form { action: string; fields: Record<string, string>; formActions: string[] }

const decode = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCharCode(parseInt(n, 16)))
  .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** every <form> of a page with its action and the values of its named inputs */
export function formsOf(html: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = /action="([^"]*)"/i.exec(match[1]!)?.[1] ?? '';
    const fields: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input\b([^>]*)>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[1]!)?.[1];
      if (name) fields[decode(name)] = decode(/value="([^"]*)"/i.exec(input[1]!)?.[1] ?? '');
    }
    // buttons with formaction submit the same fields elsewhere (the login page's "email me a code")
    const formActions = [...match[2]!.matchAll(/<button\b[^>]*\bformaction="([^"]*)"/gi)].map((b) => decode(b[1]!));
    forms.push({ action: decode(action), fields, formActions });
  }
  return forms;
}

// undici's fetch (its Request, Headers and web streams) costs about 1 ms of CPU a request in the test process, where
// an in-process server spends a few; node:http over kept-alive connections costs a third of that. The server gets the
// same request: fetch's default headers are sent too, and idle connections close after 4 s, as undici's do (before a
// server's keep-alive timeout can close one as it is reused).
const keptAlive = new Agent({ keepAlive: true, timeout: 4000 });
const fetchDefaults: Record<string, string> = { 'accept-language': '*', 'sec-fetch-mode': 'cors', 'user-agent': 'node', 'accept-encoding': 'gzip, deflate' };

export interface Exchange { status: number; headers: Headers; text: string }

/** one plain-HTTP request as `fetch(url, { method, headers, body, redirect: 'manual' })` sends it; its body as sent */
function exchange(url: URL, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Omit<Exchange, 'text'> & { body: Buffer }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of [...Object.entries(fetchDefaults), ...Object.entries(init.headers)]) headers[name.toLowerCase()] = value;
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: init.method, agent: keptAlive, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const answer = new Headers();
        for (let i = 0; i < response.rawHeaders.length; i += 2) answer.append(response.rawHeaders[i]!, response.rawHeaders[i + 1]!);
        const encoding = response.headers['content-encoding'];
        const body = encoding === 'gzip' ? gunzipSync(Buffer.concat(chunks)) : encoding === 'deflate' ? inflateSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
        resolve({ status: response.statusCode!, headers: answer, body });
      });
    });
    sent.on('error', reject);
    sent.end(init.body);
  });
}

/** `exchange` with the body decoded as `Response.text()` decodes it */
export async function send(url: URL, init: Parameters<typeof exchange>[1]): Promise<Exchange> {
  const { body, ...rest } = await exchange(url, init);
  return { ...rest, text: new TextDecoder().decode(body) };
}

// the content type fetch gives a body sent without one
const bodyType = (body: URLSearchParams | string) => (typeof body === 'string' ? 'text/plain;charset=UTF-8' : 'application/x-www-form-urlencoded;charset=UTF-8');
const nullBodyStatus = new Set([101, 103, 204, 205, 304]);

export class Browser {
  private readonly jar = new Map<string, Cookie[]>();

  constructor(private readonly headers: Record<string, string> = {}) {}

  cookieNames(url: string | URL): string[] {
    return this.cookiesFor(new URL(url)).map((c) => c.name);
  }

  /** the value of the cookie `name` this browser would send to `url` */
  cookieValue(url: string | URL, name: string): string | null {
    return this.cookiesFor(new URL(url)).find((c) => c.name === name)?.value ?? null;
  }

  private cookiesFor(url: URL): Cookie[] {
    const now = Date.now();
    return (this.jar.get(url.host) ?? []).filter((c) => c.expires > now && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)));
  }

  private store(url: URL, response: Response) {
    const cookies = this.jar.get(url.host) ?? [];
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const cookie: Cookie = { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), path: '/', expires: Infinity };
      for (const attribute of attributes) {
        const [key, value = ''] = attribute.split('=');
        if (/^path$/i.test(key!)) cookie.path = value;
        if (/^expires$/i.test(key!)) cookie.expires = Date.parse(value);
        if (/^max-age$/i.test(key!)) cookie.expires = Date.now() + Number(value) * 1000;
      }
      const rest = cookies.filter((c) => !(c.name === cookie.name && c.path === cookie.path));
      cookies.length = 0;
      cookies.push(...rest, cookie);
    }
    this.jar.set(url.host, cookies);
  }

  async fetch(input: string | URL, init: { method?: string; body?: URLSearchParams | string; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(input);
    const cookie = this.cookiesFor(url).map((c) => `${c.name}=${c.value}`).join('; ');
    const headers = { accept: 'text/html', ...this.headers, ...(cookie ? { cookie } : {}), ...init.headers };
    let response: Response;
    if (url.protocol === 'http:') {
      const typed = init.body === undefined || Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
      const { status, headers: answer, body } = await exchange(url, {
        method: init.method ?? 'GET', headers: typed ? headers : { ...headers, 'content-type': bodyType(init.body!) }, body: init.body?.toString(),
      });
      response = new Response(nullBodyStatus.has(status) || !body.length ? null : (body as Uint8Array<ArrayBuffer>), { status, headers: answer });
    } else {
      response = await fetch(url, { method: init.method ?? 'GET', body: init.body, redirect: 'manual', headers });
    }
    this.store(url, response);
    return response;
  }

  /**
   * Follows redirects from `url` until a page answers (not a redirect) or `stop(location)` says the next
   * location is the relying party's (its redirect_uri), which is returned without being fetched.
   */
  async navigate(url: string | URL, stop: (location: URL) => boolean = () => false, init?: Parameters<Browser['fetch']>[1]): Promise<Page | URL> {
    let current = new URL(url);
    let response = await this.fetch(current, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { url: current, status: response.status, html: await response.text(), headers: response.headers };
      }
      await response.body?.cancel();
      current = new URL(location, current);
      if (stop(current)) return current;
      response = await this.fetch(current);
    }
    throw new Error('too many redirects');
  }

  /**
   * submits the form of `page` whose action (or one of whose buttons' formaction) ends with `actionSuffix`, with
   * `values` over its own fields — as clicking that submit button would
   */
  async submit(page: Page, actionSuffix: string, values: Record<string, string>, stop?: (location: URL) => boolean): Promise<Page | URL> {
    const endsWith = (target: string) => new URL(target, page.url).pathname.endsWith(actionSuffix);
    const forms = formsOf(page.html);
    const form = forms.find((f) => endsWith(f.action)) ?? forms.find((f) => f.formActions.some(endsWith));
    if (!form) throw new Error(`no form ending in ${actionSuffix} on ${page.url.pathname}:\n${page.html.slice(0, 500)}`);
    const target = endsWith(form.action) ? form.action : form.formActions.find(endsWith)!;
    const body = new URLSearchParams({ ...form.fields, ...values });
    return this.navigate(new URL(target, page.url), stop, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: page.url.origin },
    });
  }
}

export function isPage(value: Page | URL): value is Page {
  return !(value instanceof URL);
}

/** a browser for a server whose PUBLIC_URL is https but which listens on plain HTTP (TLS ends at a proxy) */
export class BehindProxy extends Browser {
  constructor(private readonly publicOrigin: string, private readonly listening: string) {
    super();
  }
  override fetch(input: string | URL, init?: Parameters<Browser['fetch']>[1]) {
    return super.fetch(String(input).replace(this.publicOrigin, this.listening), init);
  }
}
