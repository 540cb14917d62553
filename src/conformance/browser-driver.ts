// Drives the deployment's hosted pages in headless Chromium as a user would: fills the login form, accepts
// consent, confirms logout, and catches the response at the relying party's redirect URI. That URI is never
// fetched: the browser's request to it is intercepted, so it may name a host that does not exist
// (rp.conformance.invalid) and works against any deployment. Login forms are found by their input types
// (email/username + password), which fits Tessera's pages and most others.
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { launchChromium } from './chromium-launch.js';

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

export class BrowserUser {
  private constructor(private readonly browser: Browser, readonly options: BrowserOptions) {}

  static async launch(options: BrowserOptions): Promise<BrowserUser> {
    return new BrowserUser(await launchChromium(), options);
  }

  /** a fresh profile: no cookies, so no session at the provider */
  async session(): Promise<BrowserSession> {
    const context = await this.browser.newContext({ ignoreHTTPSErrors: this.options.ignoreTlsErrors });
    const page = await context.newPage();
    page.setDefaultTimeout(this.options.timeoutMs);
    return new BrowserSession(context, page, this.options);
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}

const emailInput = 'input[type=email]:visible, input[name=email]:visible, input[name=username]:visible, input[name=login]:visible';
const consentButton = 'form[action*="confirm"] button[type=submit]:visible, form[action*="consent"] button[type=submit]:visible';
const logoutButton = 'button[name=logout][value=yes]:visible';

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
    const matcher = (url: URL) => url.href.startsWith(until);
    const handler = async (route: Route) => {
      const request = route.request();
      captured ??= { url: request.url(), method: request.method(), body: request.postData() };
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>callback</title><p>received</p>' });
    };
    await this.context.route(matcher, handler);
    const result: Callback = { url: new URL('about:blank'), method: 'GET', params: new URLSearchParams(), sawLogin: false, sawConsent: false };
    try {
      if (options.post) await this.postForm(new URL(start));
      else await page.goto(String(start), { waitUntil: 'commit' }).catch(() => undefined);
      const deadline = Date.now() + this.options.timeoutMs;
      let logins = 0;
      let idleSince = Date.now();
      let lastUrl = '';
      while (!captured) {
        if (Date.now() > deadline || Date.now() - idleSince > 2_500) throw new Error(`did not reach ${until}; stopped at ${page.url()}: ${await this.headline()}`);
        // idle: a page that finished loading and offers nothing to do (an error page) for 2.5 s
        const loaded = await page.evaluate(() => document.readyState).catch(() => 'loading') === 'complete';
        if (page.url() !== lastUrl || !loaded) {
          lastUrl = page.url();
          idleSince = Date.now();
        }
        const acted = await this.act(result, options.signIn !== false, () => ++logins).catch((error: Error) => {
          if (/context was destroyed|navigation|Target closed|detached/i.test(error.message)) return true;
          throw error;
        });
        if (acted) idleSince = Date.now();
        if (!acted) await page.waitForTimeout(100);
      }
      await page.waitForLoadState('domcontentloaded').catch(() => undefined);
      const landed = page.url().startsWith(until) ? new URL(page.url()) : new URL(captured.url);
      result.url = landed;
      result.method = captured.method;
      result.params = captured.method === 'POST'
        ? new URLSearchParams(captured.body ?? '')
        : new URLSearchParams(landed.hash.length > 1 ? landed.hash.slice(1) : landed.search);
      return result;
    } finally {
      await this.context.unroute(matcher, handler);
    }
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

  /** one step on the current page; true when it did something */
  private async act(result: Callback, signIn: boolean, countLogin: () => number): Promise<boolean> {
    const { page } = this;
    const before = page.url();
    // after a submission, wait for the next page so that one form is never submitted twice
    const moved = () => page.waitForURL((url) => url.href !== before, { timeout: 5_000, waitUntil: 'commit' }).catch(() => undefined).then(() => true);
    const password = page.locator('input[type=password]:visible').first();
    if (await password.count()) {
      if (!signIn) throw new Error(`a login page was shown (${page.url()}) where none was expected`);
      const credentials = this.options.credentials;
      if (!credentials) throw new Error('the login page was shown but no --user/--password were given');
      if (countLogin() > 2) throw new Error(`signing in failed: still on the login page: ${await this.headline()}`);
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
    const consent = page.locator(consentButton).first();
    if (await consent.count()) {
      result.sawConsent = true;
      await consent.click();
      return moved();
    }
    const logout = page.locator(logoutButton).first();
    if (await logout.count()) {
      await logout.click();
      return moved();
    }
    return false;
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
