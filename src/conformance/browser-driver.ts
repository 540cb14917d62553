// Drives the deployment's hosted pages in headless Chromium as a user would: fills the login form, accepts
// consent, confirms logout, and catches the response at the relying party's redirect URI. That URI is never
// fetched: the browser's request to it is intercepted, so it may name a host that does not exist
// (rp.conformance.invalid) and works against any deployment. Login forms are found by their input types
// (email/username + password), which fits Tessera's pages and most others.
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';

export interface Credentials { email: string; password: string }

/** what reached the redirect URI: a redirect (query or fragment) or a form_post */
export interface Callback {
  url: URL;
  method: string;
  /** query, fragment or posted parameters, whichever carried the response */
  params: URLSearchParams;
  sawLogin: boolean;
  sawConsent: boolean;
  /** the `lang` of the login page, when one was shown */
  loginLang?: string;
  loginEmailValue?: string;
}

export interface BrowserOptions { credentials?: Credentials; ignoreTlsErrors: boolean; timeoutMs: number }

/** a user of one deployment in a browser that several may share (each session is a context of its own) */
export class BrowserUser {
  constructor(private readonly browser: Browser, readonly options: BrowserOptions) {}

  /** a fresh profile: no cookies, so no session at the provider */
  async session(): Promise<BrowserSession> {
    const context = await this.browser.newContext({ ignoreHTTPSErrors: this.options.ignoreTlsErrors });
    const page = await context.newPage();
    page.setDefaultTimeout(this.options.timeoutMs);
    return new BrowserSession(context, page, this.options);
  }
}

const emailInput = 'input[type=email]:visible, input[name=email]:visible, input[name=username]:visible, input[name=login]:visible';
const consentButton = 'form[action*="confirm"] button[type=submit]:visible, form[action*="consent"] button[type=submit]:visible';
const logoutButton = 'button[name=logout][value=yes]:visible';
/** what a page offers the user, in the order they are acted on */
type Step = 'login' | 'consent' | 'logout';
/** how often a page that sent no event is looked at again (a form a script adds after loading) */
const lookAgainMs = 250;
/**
 * how long a loaded page that offers nothing to do, with no navigation of its own under way, is watched before the
 * visit gives up on it (an error page): at least 2.5 s, longer with a longer step timeout (a loaded machine)
 */
const idleMs = (timeoutMs: number) => Math.max(2_500, timeoutMs / 8);

export class BrowserSession {
  constructor(readonly context: BrowserContext, readonly page: Page, private readonly options: BrowserOptions) {}

  /**
   * Opens `start` and walks the pages until the browser goes to a URL starting with `until`.
   * @param options.signIn false: a login page fails the visit (prompt=none, SSO expected)
   * @throws Error saying where the browser stopped when the callback is not reached
   */
  async visit(start: URL | string, until: string, options: { signIn?: boolean; post?: boolean } = {}): Promise<Callback> {
    const { page } = this;
    let captured: { url: string; method: string; body: string | null } | undefined;
    // the loop looks at the page when it loads or navigates, when the callback is caught, or every lookAgainMs
    const wake = new Wakeup();
    const matcher = (url: URL) => url.href.startsWith(until);
    let delivered: Promise<void> | undefined;
    const handler = async (route: Route) => {
      const request = route.request();
      captured ??= { url: request.url(), method: request.method(), body: request.postData() };
      const fulfilled = route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>callback</title><p>received</p>' });
      delivered ??= fulfilled.catch(() => undefined);
      await fulfilled;
      wake.signal();
    };
    await this.context.route(matcher, handler);
    const result: Callback = { url: new URL('about:blank'), method: 'GET', params: new URLSearchParams(), sawLogin: false, sawConsent: false };
    const onPageEvent = () => wake.signal();
    // the main frame's navigations under way: a page waiting for its next one (a form posted, a script's redirect) is
    // not idle, however long the server takes to answer
    const navigating = new Set<Request>();
    const onRequest = (request: Request) => { if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigating.add(request); };
    const onRequestDone = (request: Request) => { if (navigating.delete(request)) wake.signal(); };
    page.on('load', onPageEvent);
    page.on('framenavigated', onPageEvent);
    page.on('request', onRequest);
    page.on('requestfinished', onRequestDone);
    page.on('requestfailed', onRequestDone);
    try {
      if (options.post) await this.postForm(new URL(start));
      else await page.goto(String(start), { waitUntil: 'commit' }).catch(() => undefined);
      const deadline = Date.now() + this.options.timeoutMs;
      let logins = 0;
      let idleSince = Date.now();
      let lastUrl = '';
      while (!captured) {
        if (Date.now() > deadline || Date.now() - idleSince > idleMs(this.options.timeoutMs)) throw new Error(`did not reach ${until}; stopped at ${page.url()}: ${await this.headline()}`);
        const seen = await this.look();
        // idle: a page that finished loading, offers nothing to do and goes nowhere (an error page) for idleMs
        if (page.url() !== lastUrl || !seen.loaded || navigating.size > 0) {
          lastUrl = page.url();
          idleSince = Date.now();
        }
        const acted = seen.step ? await this.act(seen.step, result, options.signIn !== false, () => ++logins).catch((error: Error) => {
          if (/context was destroyed|navigation|Target closed|detached/i.test(error.message)) return true;
          throw error;
        }) : false;
        if (acted) idleSince = Date.now();
        else if (!captured) await wake.wait(lookAgainMs);
      }
      await delivered;
      // the page's navigation to the redirect URI ends before the next visit starts: Chromium may still show its error
      // page for it (the host does not exist), and shown later that page would take the place of the next visit's
      await page.waitForURL((url) => url.href.startsWith(until) || url.protocol === 'chrome-error:', { waitUntil: 'commit', timeout: this.options.timeoutMs }).catch(() => undefined);
      await page.waitForLoadState('domcontentloaded').catch(() => undefined);
      const landed = page.url().startsWith(until) ? new URL(page.url()) : new URL(captured.url);
      result.url = landed;
      result.method = captured.method;
      result.params = captured.method === 'POST'
        ? new URLSearchParams(captured.body ?? '')
        : new URLSearchParams(landed.hash.length > 1 ? landed.hash.slice(1) : landed.search);
      return result;
    } finally {
      page.off('load', onPageEvent);
      page.off('framenavigated', onPageEvent);
      page.off('request', onRequest);
      page.off('requestfinished', onRequestDone);
      page.off('requestfailed', onRequestDone);
      await this.context.unroute(matcher, handler);
    }
  }

  /**
   * whether the page has loaded and which step it offers, in one round trip to the browser (a look costs CPU in
   * both processes; a navigating page answers "not loaded"). Visible as Playwright's `:visible`: a non-empty box
   * and no `visibility: hidden`, the selectors those of act().
   */
  private async look(): Promise<{ loaded: boolean; step?: Step }> {
    const selectors: Array<[Step, string]> = [['login', 'input[type=password]'], ['consent', consentButton.replaceAll(':visible', '')], ['logout', logoutButton.replace(':visible', '')]];
    return this.page.evaluate((candidates) => {
      const visible = (element: Element) => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== 'hidden';
      };
      const found = candidates.find(([, selector]) => [...document.querySelectorAll(selector)].some(visible));
      return { loaded: document.readyState === 'complete', step: found?.[0] };
    }, selectors).catch(() => ({ loaded: false }));
  }

  /** submits the query of `url` as a form POST to its path (OIDC Core 3.1.2.1), from a blank page */
  private async postForm(url: URL): Promise<void> {
    await this.page.goto('about:blank');
    await this.page.evaluate(({ action, fields }) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = action;
      for (const [name, value] of fields) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    }, { action: `${url.origin}${url.pathname}`, fields: [...url.searchParams] });
  }

  /** takes the step the page offers; true when it did something */
  private async act(step: Step, result: Callback, signIn: boolean, countLogin: () => number): Promise<boolean> {
    const { page } = this;
    const before = page.url();
    // after a submission, wait for the next page so that one form is never submitted twice: a navigation of the main
    // frame (to the same URL too: a form that answers with itself) or another URL, however long the server takes
    const { timeoutMs } = this.options;
    const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: timeoutMs }).catch(() => undefined);
    const moved = () => Promise.race([navigated, page.waitForURL((url) => url.href !== before, { timeout: timeoutMs, waitUntil: 'commit' }).catch(() => undefined)]).then(() => true);
    if (step === 'login') {
      if (!signIn) throw new Error(`a login page was shown (${page.url()}) where none was expected`);
      const credentials = this.options.credentials;
      if (!credentials) throw new Error('the login page was shown but no --user/--password were given');
      if (countLogin() > 2) throw new Error(`signing in failed: still on the login page: ${await this.headline()}`);
      const password = page.locator('input[type=password]:visible').first();
      const email = page.locator(emailInput).first();
      result.sawLogin = true;
      result.loginLang = (await page.getAttribute('html', 'lang')) ?? undefined;
      if (await email.count()) {
        result.loginEmailValue = await email.inputValue();
        await email.fill(credentials.email);
      }
      await password.fill(credentials.password);
      await password.press('Enter');
      return moved();
    }
    if (step === 'consent') result.sawConsent = true;
    await page.locator(step === 'consent' ? consentButton : logoutButton).first().click();
    return moved();
  }

  private async headline(): Promise<string> {
    try {
      return (await this.page.locator('h1, title').first().textContent({ timeout: 1_000 }))?.trim() ?? '';
    } catch {
      return '';
    }
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

/** a wait that a page event or the caught callback ends early; a signal before the wait is not lost */
class Wakeup {
  private pending = false;
  private resolve?: () => void;

  signal(): void {
    this.pending = true;
    this.resolve?.();
  }

  async wait(ms: number): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.resolve = () => { clearTimeout(timer); resolve(); };
      });
    }
    this.pending = false;
    this.resolve = undefined;
  }
}
