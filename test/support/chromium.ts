// Headless Chromium for the e2e tests: Debian's `chromium` driven by playwright-core (DESIGN.md "Services on
// this machine"). We never download a browser: a missing one fails the tests with the command that installs it.
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
      + '(or set CHROMIUM_PATH); the e2e tests need a real browser and never download one.');
  }
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs], headless: true, timeout: 30_000 });
}
