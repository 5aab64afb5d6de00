/**
 * The dashboard and the unanswered-questions list in a real Chromium, on a
 * laptop (1280×800) and a 390 px phone, after a month of seeded traffic
 * (tests/helpers/dashboard-seed.ts). Every chart must be drawn (pixels on
 * its canvas), the page must not scroll sideways, and nothing may go wrong
 * on the way: no script or console error, no CSP violation, no failed
 * request. A supervisor then adds a group of unanswered questions to an
 * entry with the page's own form.
 *
 * Screenshots for the README: docs/screenshots/dashboard*.png, unanswered*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { AdminTestApp } from './helpers/admin.js';
import { LAPTOP, launchChromium, openContext, signIn, type Problems } from './helpers/browser.js';
import { officeDay, seedMonth, unansweredRecorded } from './helpers/dashboard-seed.js';
import { makeStaff, PASSWORD, startInboxApp } from './helpers/inbox.js';

const SCREENSHOTS = join(process.cwd(), 'docs', 'screenshots');
/** A common phone width (iPhone 12–15, many Android phones). */
const PHONE_390 = { width: 390, height: 844 };

let server: AdminTestApp;
let browser: Browser;
const problems: Problems = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startInboxApp();
  const supervisor = await makeStaff(server.app, 'sari', 'supervisor', { displayName: 'Sari Dewi' });
  const agent = await makeStaff(server.app, 'budi', 'agent', { displayName: 'Budi Santoso' });
  await seedMonth(server.app, { agent, supervisor });
  // Two entries whose review date has passed.
  for (const [id, lastReviewed] of [['legalisir', '2026-03-02'], ['pengesahan-anak', '2026-04-20']] as const) {
    const current = (await server.app.store.knowledge.get(id))!;
    await server.app.store.knowledge.publish({ ...current.entry, lastReviewed, reviewIntervalDays: 180 }, 'seed', 'tinjauan lama');
  }
  server.app.knowledge.invalidate();
  await unansweredRecorded(server.app);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

/** Canvases with a chart, and how many of them have something drawn on them. */
async function charts(page: Page): Promise<{ canvases: number; drawn: number }> {
  await page.locator('canvas[data-chart]').first().waitFor();
  return page.evaluate(() => {
    const canvases = Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]'));
    const drawn = canvases.filter((canvas) => {
      if (canvas.getAttribute('data-drawn') !== '1' || canvas.width === 0 || canvas.height === 0) return false;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      return painted > 500;
    });
    return { canvases: canvases.length, drawn: drawn.length };
  });
}

describe('the dashboard', () => {
  it('on a laptop: tiles, every chart drawn, the review list; nothing blocked or broken', async () => {
    const { page, context } = await openContext(browser, problems, LAPTOP, false);
    await signIn(page, server.base, 'sari', PASSWORD, '/admin/dashboard');
    expect(await charts(page)).toEqual({ canvases: 8, drawn: 8 });
    expect(await page.locator('.db-tile').count()).toBe(7);
    expect(await page.locator('#db-from').inputValue()).toBe(officeDay(29));
    await expect(page.locator('.db-reviews a').allTextContents()).resolves.toHaveLength(2);
    expect(await noSidewaysScroll(page)).toBe(true);
    // The numbers behind a chart, as text.
    await page.locator('#fallback summary').click();
    expect(await page.locator('#fallback tbody tr').count()).toBe(30);
    await page.locator('#fallback summary').click();
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });

    // Another range through the form: the last 7 days.
    await page.locator('#db-from').fill(officeDay(6));
    await page.getByRole('button', { name: 'Tampilkan' }).click();
    await page.waitForURL((url) => url.searchParams.get('dari') === officeDay(6));
    expect((await charts(page)).drawn).toBeGreaterThanOrEqual(5);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Unduh CSV' }).click();
    expect((await download).suggestedFilename()).toMatch(/^siratu-dasbor-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/u);
    await context.close();
    expect(problems).toEqual([]);
  });

  it('on a 390 px phone: one column, charts drawn, no sideways scrolling', async () => {
    const { page, context } = await openContext(browser, problems, PHONE_390, true);
    await signIn(page, server.base, 'sari', PASSWORD, '/admin/dashboard');
    expect(await charts(page)).toEqual({ canvases: 8, drawn: 8 });
    expect(await noSidewaysScroll(page)).toBe(true);
    const widths = await page.locator('.db-section').evaluateAll((sections) => sections.map((s) => s.getBoundingClientRect().width));
    expect(Math.min(...widths)).toBeGreaterThan(340); // each chart gets the phone's whole width
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-phone.png'), fullPage: true, clip: { x: 0, y: 0, width: PHONE_390.width, height: 2300 } });
    await page.locator('#topik summary').click();
    expect(await noSidewaysScroll(page)).toBe(true);
    await context.close();
    expect(problems).toEqual([]);
  });
});

describe('the unanswered questions', () => {
  it('on a laptop: groups with counts; a supervisor adds one to an entry with the form', async () => {
    const { page, context } = await openContext(browser, problems, LAPTOP, false);
    await signIn(page, server.base, 'sari', PASSWORD, '/admin/unanswered');
    const groups = page.locator('.ua-group');
    expect(await groups.count()).toBeGreaterThanOrEqual(3);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'unanswered.png'), fullPage: true, clip: { x: 0, y: 0, width: LAPTOP.width, height: 1400 } });

    const divorce = groups.filter({ hasText: 'Putusan PA' }).first();
    const id = await divorce.getAttribute('id');
    await divorce.getByLabel('Entri yang menjawab').selectOption('akta-perceraian');
    await divorce.getByRole('button', { name: 'Tambahkan ke entri' }).click();
    await page.waitForURL(/pesan=frasa/u);
    await expect(page.locator('.flash-ok').textContent()).resolves.toContain('langsung dipakai bot');
    expect(await page.locator(`#${id}`).count()).toBe(0);
    await context.close();
    expect(problems).toEqual([]);
  });

  it('on a 390 px phone', async () => {
    const { page, context } = await openContext(browser, problems, PHONE_390, true);
    await signIn(page, server.base, 'sari', PASSWORD, '/admin/unanswered');
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'unanswered-phone.png'), fullPage: true, clip: { x: 0, y: 0, width: PHONE_390.width, height: 1500 } });
    await context.close();
    expect(problems).toEqual([]);
  });
});
