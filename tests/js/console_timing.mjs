// The console's page load time, for bench/operations.py: opens HYDRANT_URL (a stream's console
// page) in Debian's headless Chromium, times it until the stream's graphs are drawn, then keeps
// the page open for HYDRANT_HOLD_SECONDS (it refreshes itself every 10 s meanwhile). Prints one
// JSON line, {"dom_ms", "graphs_ms"}, as soon as the graphs are drawn.
import puppeteer from 'puppeteer-core';

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  const start = Date.now();
  await page.goto(process.env.HYDRANT_URL, { waitUntil: 'domcontentloaded' });
  const dom = Date.now() - start;
  await page.waitForSelector('svg[data-series="incoming_records"]', { timeout: 60_000 });
  const graphs = Date.now() - start;
  console.log(JSON.stringify({ dom_ms: dom, graphs_ms: graphs }));
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.HYDRANT_HOLD_SECONDS || 0) * 1000));
} finally {
  await browser.close();
}
