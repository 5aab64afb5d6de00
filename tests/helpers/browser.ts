/**
 * Real-browser helpers: Debian's Chromium through playwright-core, browser
 * contexts for a phone or a laptop that record everything that goes wrong
 * on a page (script errors, console errors, CSP violations, 4xx/5xx
 * responses), the admin sign-in, and the web chat widget as a citizen uses
 * it (its locators pierce the widget's open shadow root).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { until } from './admin.js';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Everything that went wrong on the watched pages; a test ends with `expect(problems).toEqual([])`. */
export type Problems = string[];

/** Responses a test provokes on purpose (a wrong password's 401): not problems. */
export type ExpectedFailure = (status: number, path: string) => boolean;

/** Records page errors, console errors (a CSP violation is one) and failed responses; accepts confirm() dialogs. */
export function watchPage(page: Page, problems: Problems, expected: ExpectedFailure = () => false): void {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && !expected(response.status(), path)) problems.push(`${response.status()} ${response.request().method()} ${path}`);
  });
  page.on('dialog', (dialog) => void dialog.accept());
}

export const PHONE = { width: 360, height: 740 };
export const LAPTOP = { width: 1280, height: 800 };

export async function openContext(
  browser: Browser,
  problems: Problems,
  viewport: { width: number; height: number },
  phone: boolean,
  expected?: ExpectedFailure,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: phone ? 2 : 1, isMobile: phone, hasTouch: phone, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
  context.setDefaultTimeout(8000);
  const page = await context.newPage();
  watchPage(page, problems, expected);
  return { context, page };
}

/** Signs in on the admin login page and waits to arrive at `next`. */
export async function signIn(page: Page, base: string, username: string, password: string, next = '/admin'): Promise<void> {
  await page.goto(`${base}/admin/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Nama pengguna').fill(username);
  await page.getByLabel('Kata sandi').fill(password);
  await page.getByRole('button', { name: 'Masuk' }).click();
  await page.waitForURL((url) => url.pathname === next);
}

/** A citizen in the web chat widget on the demo page. */
export class WidgetCitizen {
  constructor(readonly page: Page) {}

  locator(selector: string, options?: { hasText?: string | RegExp }) {
    return this.page.locator(`[data-siratu] ${selector}`, options);
  }

  async open(base: string): Promise<void> {
    await this.page.goto(`${base}/`);
    await this.locator('.panel').waitFor({ state: 'visible' });
  }

  /**
   * Types a message, sends it with Enter and resolves with the text of the first new bot
   * bubble matching `reply` (the bot may send a notice first); '' when none came in time.
   */
  async ask(text: string, reply: RegExp = /./u): Promise<string> {
    const bubbles = this.locator('.m.bot .b');
    const before = await bubbles.count();
    const input = this.locator('textarea');
    await input.fill(text);
    await input.press('Enter');
    const fresh = async () => (await bubbles.allTextContents()).slice(before);
    const texts = await until(fresh, (list) => list.some((t) => reply.test(t)), 8000);
    await this.locator('.send:not([disabled])').waitFor();
    return texts.find((t) => reply.test(t)) ?? '';
  }
}
