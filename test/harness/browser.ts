/**
 * A headless Chromium for the console's browser tests: Debian's `chromium` package driven by
 * playwright-core (no browser download). CI installs it (.ci/run); a machine without it fails
 * the tests with a message that says what to install — they are never skipped.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: install it (Debian: "apt-get install -y chromium") or set CHROMIUM_PATH. The console's browser tests need it.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}
