// Driving a page with the keyboard alone (issue #14): what has the focus, Tab until a field or button has it, and
// typing into a field reached that way. No click, no fill.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { oidc } from './relying-party.js';
import type { SignedIn } from './relying-party-server.js';

export interface Focused { tag: string; name: string; text: string; label: string; visible: boolean }

/** what has the keyboard focus: its tag, name, own text and label, and whether it shows that it has it (WCAG 2.4.7) */
export const focused = (page: Page): Promise<Focused> => page.evaluate(() => {
  const el = document.activeElement as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> | null };
  const style = getComputedStyle(el);
  const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  return { tag: el.tagName.toLowerCase(), name: el.getAttribute('name') ?? '', text: (el.textContent ?? '').trim(), label: el.labels?.[0]?.textContent?.trim() ?? '', visible };
});

/**
 * What has the focus once the page has opened: `autofocus` is applied at the page's first rendering update, which on
 * a busy machine can come after the load event `waitForURL` waits for; two animation frames later it has run.
 */
export async function focusedOnOpen(page: Page): Promise<Focused> {
  await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
  return focused(page);
}

/**
 * Presses Tab until the focused element is the one described (a field by its label, a button or link by its text).
 * @throws when 40 presses never reach it: the page cannot be used with the keyboard alone
 */
export async function tabTo(page: Page, what: { label?: string; text?: string }): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    const now = await focused(page);
    if ((what.label && now.label === what.label) || (what.text && now.text === what.text)) {
      assert.ok(now.visible, `${JSON.stringify(what)} has the focus but does not show it on ${page.url()}`);
      return;
    }
    seen.push(`${now.tag}:${now.label || now.text.slice(0, 30) || now.name}`);
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reaches ${JSON.stringify(what)} on ${page.url()}; the focus went ${seen.join(' → ')}`);
}

export async function typeInto(page: Page, label: string, value: string) {
  await tabTo(page, { label });
  await page.keyboard.type(value);
}

/** a fresh profile; no conditional mediation, so a passkey is used only through its button */
export async function keyboardTab(chromium: Browser): Promise<Page> {
  const context = await chromium.newContext();
  await context.addInitScript(() => {
    if (window.PublicKeyCredential) Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/**
 * An app's sign-in as the browser sees it (the relying party and its configuration are read when used: test set-up
 * makes them in `before`): `start` opens the authorization request the way a link or the address bar
 * does; `land` waits for the redirect back to the relying party and gives the ID Token's claims.
 */
export function appSignIn(relyingParty: () => { begin(config: oidc.Configuration): Promise<{ url: URL; result: Promise<SignedIn> }>; redirectUri: string }, config: () => oidc.Configuration) {
  return {
    async start(page: Page) {
      const flow = await relyingParty().begin(config());
      await page.goto(flow.url.href);
      return flow;
    },
    async land(page: Page, result: Promise<SignedIn>) {
      await page.waitForURL((url) => url.href.startsWith(relyingParty().redirectUri));
      return (await result).claims;
    },
  };
}

/** a platform authenticator in the page's browser (DevTools' virtual one) that says yes to every request */
export async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}
