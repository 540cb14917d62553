// Headless Chromium for the conformance harness and the e2e tests (test/support/chromium.ts re-exports this):
// Debian's `chromium` driven by playwright-core (DESIGN.md "Services on this machine"). We never download a
// browser: a missing one fails with the command that installs it. playwright-core is a development dependency,
// so it is loaded only when a browser is launched; the server never imports this file.
import { accessSync, constants } from 'node:fs';
import type { Browser } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Launches headless Chromium.
 * @throws Error naming the install command when the executable is missing (CI installs it: never skip)
 */
export async function launchChromium(): Promise<Browser> {
  try {
    accessSync(chromiumPath, constants.X_OK);
  } catch {
    throw new Error(`Chromium is not installed at ${chromiumPath}. Install it with \`apt-get install -y chromium\` `
      + '(or set CHROMIUM_PATH); browser steps need a real browser and never download one.');
  }
  const { chromium } = await import('playwright-core').catch(() => {
    throw new Error('playwright-core is not installed: it is a development dependency; run this from a checkout after `npm ci`.');
  });
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs], headless: true, timeout: 30_000 });
}
