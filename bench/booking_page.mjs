// Booking page speed (issue #10): JavaScript shipped (gzipped) and how soon the page is
// interactive on loopback, measured with Navigation Timing in Debian's Chromium.
//
//   node bench/booking_page.mjs [praxis binary] [runs]
//
// Starts `praxis init --demo` + `praxis serve` in a temporary directory (release build
// by default), loads /book/demo `runs` times in fresh browser contexts, and prints the
// median and worst of: response end, DOMContentLoaded, and "interactive" (the first
// choice button rendered and enabled).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const bin = process.argv[2] ?? new URL('../build/release/bin/praxis', import.meta.url).pathname;
const runs = Number(process.argv[3] ?? 20);
const webDir = join(dirname(dirname(bin)), 'web');

// JavaScript the booking page loads: its entry chunk and what book.html references.
const html = readFileSync(join(webDir, 'book.html'), 'utf8');
const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let gzipped = 0;
let raw = 0;
for (const s of scripts) {
  const bytes = readFileSync(join(webDir, s));
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}
const worker = readdirSync(join(webDir, 'assets')).filter((f) => f.startsWith('pbkdf2-'));
const workerGz = worker.reduce((n, f) => n + gzipSync(readFileSync(join(webDir, 'assets', f)), { level: 9 }).length, 0);

const dir = mkdtempSync(join(tmpdir(), 'praxis-bench-web-'));
const data = join(dir, 'var');
if (spawnSync(bin, ['init', '--data', data, '--demo'], { stdio: 'ignore' }).status !== 0) throw new Error('init failed');
const server = spawn(bin, ['serve', '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'ignore'] });
const url = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (c) => {
    out += c;
    const m = /serves (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
    if (m) resolve(m[1]);
  });
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const samples = { responseEnd: [], domContentLoaded: [], interactive: [] };
for (let i = 0; i < runs + 1; ++i) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/book/demo`);
  await page.getByRole('button', { name: 'Ja, ich bin bereits Patient/in' }).waitFor();
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return { responseEnd: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd, interactive: performance.now() };
  });
  if (i > 0) for (const k of Object.keys(samples)) samples[k].push(t[k]); // first run warms up
  await context.close();
}
await browser.close();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(dir, { recursive: true, force: true });

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`JavaScript of the booking page: ${(raw / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped`
  + ` (+ proof-of-work worker ${(workerGz / 1024).toFixed(1)} KiB gzipped, loaded at the details step)`);
for (const [k, v] of Object.entries(samples)) {
  console.log(`${k.padEnd(17)} median ${median(v).toFixed(0)} ms, max ${Math.max(...v).toFixed(0)} ms (${runs} loads)`);
}
