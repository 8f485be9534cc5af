// Drives headless Chromium (Debian's, through puppeteer-core) through Hydrant's web console and
// prints one JSON line: {"ok", "results" (one per step), "named" (the results of the steps that
// have an "as": name), "error", "failed_step", "page_errors"}.
// Run by tests/e2e/test_console.py.
//
// Environment:
//   HYDRANT_CONSOLE_URL      the server, e.g. http://127.0.0.1:4573 (the page is <url>/console)
//   HYDRANT_CONSOLE_STEPS    JSON list of steps, each an object with one action:
//     {"goto": "#/streams"}                  open the page at that route, wait until it settled
//     {"until": "#/buckets/b", "selector": s, "timeout": ms}
//                                            reopen the route every second until s exists
//     {"clickUntil": s, "selector": t, "max": n}
//                                            click the first s (a link to another route) until t exists
//     {"waitFor": s, "text": "...", "timeout": ms}
//                                            wait for s (and, if given, for its text to contain text)
//     {"waitForFn": "js expression", "timeout": ms}
//     {"fill": s, "value": "..."}            set an input's or textarea's value
//     {"click": s}
//     {"read": s, "attrs": ["data-x", ...]}  [{text, attrs}] of every element matching s
//     {"eval": "js expression"}              its (awaited) value, evaluated in the page
//     {"screenshot": "name"}                 <HYDRANT_SCREENSHOTS>/<name>.png, the full page
//     {"sleep": ms}
//   HYDRANT_SCREENSHOTS      directory for screenshots (a failing step adds failure-<n>.png)
//   HYDRANT_SCREENSHOT_PREFIX  put before every screenshot's name (one test's files stay together)
import puppeteer from 'puppeteer-core';

const base = process.env.HYDRANT_CONSOLE_URL.replace(/\/$/, '');
const steps = JSON.parse(process.env.HYDRANT_CONSOLE_STEPS);
const shots = process.env.HYDRANT_SCREENSHOTS;
const shot = (name) => `${shots}/${process.env.HYDRANT_SCREENSHOT_PREFIX || ''}${name}.png`;
const DEFAULT_TIMEOUT = 15_000;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const results = [];
const named = {};
const pageErrors = [];
let outcome = { ok: true };
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on('pageerror', (error) => pageErrors.push(String(error?.message ?? error)));
  page.setDefaultTimeout(DEFAULT_TIMEOUT);

  // The app sets body[data-loaded] once a route has rendered; clear it first so that waiting
  // for it cannot see the previous page's mark.
  const settled = (timeout) => page.waitForSelector('body[data-loaded]', { timeout });
  async function open(hash, timeout = DEFAULT_TIMEOUT) {
    const url = `${base}/console${hash}`;
    const same = page.url().startsWith(`${base}/console`);
    if (same) {
      await page.evaluate(() => { delete document.body.dataset.loaded; });
      // A hash change re-routes without reloading; the same hash again would do nothing, so reload then.
      if (await page.evaluate((h) => location.hash === h, hash)) await page.reload({ waitUntil: 'load' });
      else await page.evaluate((h) => { location.hash = h; }, hash);
    } else {
      await page.goto(url, { waitUntil: 'load' });
    }
    await settled(timeout);
  }

  for (const [index, step] of steps.entries()) {
    const timeout = step.timeout ?? DEFAULT_TIMEOUT;
    try {
      let result = null;
      if ('goto' in step) {
        await open(step.goto, timeout);
      } else if ('until' in step) {
        const deadline = Date.now() + timeout;
        for (;;) {
          await open(step.until);
          if (await page.$(step.selector)) break;
          if (Date.now() > deadline) throw new Error(`${step.selector} did not appear on ${step.until} within ${timeout} ms`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      } else if ('clickUntil' in step) {
        for (let clicks = 0; !(await page.$(step.selector)); clicks++) {
          if (clicks >= (step.max ?? 10)) throw new Error(`${step.selector} not reached after ${clicks} clicks on ${step.clickUntil}`);
          await page.evaluate(() => { delete document.body.dataset.loaded; });
          await page.click(step.clickUntil);
          await settled(timeout);
        }
      } else if ('waitFor' in step) {
        if (step.text == null) await page.waitForSelector(step.waitFor, { timeout });
        else {
          await page.waitForFunction((s, t) => document.querySelector(s)?.textContent.includes(t),
                                     { timeout }, step.waitFor, step.text);
        }
      } else if ('waitForFn' in step) {
        await page.waitForFunction(step.waitForFn, { timeout });
      } else if ('fill' in step) {
        await page.$eval(step.fill, (element, value) => {
          element.value = value;
          element.dispatchEvent(new Event('input', { bubbles: true }));
        }, step.value);
      } else if ('click' in step) {
        await page.click(step.click);
      } else if ('read' in step) {
        result = await page.$$eval(step.read, (elements, attrs) => elements.map((e) => ({
          text: e.textContent.trim(),
          attrs: Object.fromEntries(attrs.map((a) => [a, e.getAttribute(a)])),
        })), step.attrs ?? []);
      } else if ('eval' in step) {
        result = await page.evaluate(`(async () => (${step.eval}))()`);
      } else if ('screenshot' in step) {
        if (shots) await page.screenshot({ path: shot(step.screenshot), fullPage: true });
      } else if ('sleep' in step) {
        await new Promise((r) => setTimeout(r, step.sleep));
      } else {
        throw new Error(`unknown step ${JSON.stringify(step)}`);
      }
      results.push(result);
      if (step.as) named[step.as] = result;
    } catch (error) {
      const message = await page.$eval('#message', (e) => e.textContent).catch(() => null);
      outcome = { ok: false, failed_step: index, step, error: String(error?.message ?? error),
                  url: page.url(), message_box: message };
      if (shots) await page.screenshot({ path: shot(`failure-${index}`), fullPage: true }).catch(() => {});
      break;
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ...outcome, results, named, page_errors: pageErrors }));
