// Drives headless Chromium (Debian's, through puppeteer-core) to a page and runs the calls given
// as JSON in HYDRANT_CALLS: [{"page": url, "call": "put"|"putBatch"|"deleteStream", "args": [...]}].
// Prints one JSON line with the results in order; saves a screenshot of each page to
// HYDRANT_SCREENSHOTS (a directory) when set. Run by tests/e2e/test_cors.py.
import puppeteer from 'puppeteer-core';

const calls = JSON.parse(process.env.HYDRANT_CALLS);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const results = [];
try {
  const page = await browser.newPage();
  let current = null;
  for (const [i, { page: url, call, args }] of calls.entries()) {
    if (url !== current) {
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.getElementById('status').textContent === 'ready');
      current = url;
    }
    results.push(await page.evaluate((name, a) => window.hydrant[name](...a), call, args));
    if (process.env.HYDRANT_SCREENSHOTS) {
      await page.evaluate((r) => { document.getElementById('status').textContent = JSON.stringify(r); }, results.at(-1));
      await page.screenshot({ path: `${process.env.HYDRANT_SCREENSHOTS}/call-${i}-${call}.png` });
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
