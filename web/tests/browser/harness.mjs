// Shared set-up of the browser tests: a praxis server with a demo practice on a free
// loopback port, Debian's Chromium driven by playwright-core, and the checks every page
// must pass (no console errors, no request to another origin, no serious axe finding).
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const BIN = process.env.PRAXIS_BIN ?? new URL('../../../build/release/bin/praxis', import.meta.url).pathname;
// Screenshots go under the build directory (ctest sets it); look at them.
export const SHOTS = process.env.PRAXIS_SCREENSHOTS ?? join(tmpdir(), 'praxis-screenshots');
mkdirSync(SHOTS, { recursive: true });

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

// `praxis init --demo` in a temporary directory, then `praxis serve` on 127.0.0.1:0.
// `settings` replaces commented defaults of praxis.toml, e.g. {'#proof_of_work = true':
// 'proof_of_work = false'}.
export async function startPraxis(settings = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'praxis-browser-'));
  const data = join(dir, 'var');
  const init = spawnSync(BIN, ['init', '--data', data, '--demo'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`praxis init failed: ${init.stderr}`);
  let config = readFileSync(join(data, 'praxis.toml'), 'utf8');
  for (const [from, to] of Object.entries(settings)) {
    if (!config.includes(from)) throw new Error(`praxis.toml has no '${from}'`);
    config = config.replace(from, to);
  }
  writeFileSync(join(data, 'praxis.toml'), config, { mode: 0o600 });
  const token = /enrol#token=([A-Za-z0-9_-]+)/.exec(init.stdout)?.[1];
  const email = /owner (\S+@\S+) /.exec(init.stdout)?.[1];
  const proc = spawn(BIN, ['serve', '--data', data, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 30000);
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /serves (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`praxis serve exited with ${code}: ${out}`)));
  });
  return {
    url,
    data,
    enrolment: { token, email },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

// A page that records what the checks need: console errors, uncaught exceptions, and
// every request to an origin outside `allowedOrigins`.
export async function watchedPage(context, allowedOrigins) {
  const page = await context.newPage();
  const problems = { console: [], foreign: [] };
  const allowed = new Set(allowedOrigins);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.console.push(m.text());
  });
  page.on('pageerror', (e) => problems.console.push(`uncaught: ${e.message}`));
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'blob:' || u.protocol === 'data:') return;
    if (!allowed.has(u.origin)) problems.foreign.push(r.url());
  });
  return { page, problems };
}

// axe-core in the page (through the debugging protocol, which the CSP does not govern):
// the serious and critical violations.
export async function axeViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// RFC 6238 (SHA-1, 30 s, 6 digits), as an authenticator app computes it.
export function totp(secretBase32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[digest.length - 1] & 15;
  const value = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1000000).padStart(6, '0');
}

async function json(method, url, body, headers = {}) {
  const r = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : undefined };
}

// Enrols the demo owner over the API (password and first TOTP code): the TOTP secret.
export async function enrolOwner(server, password = 'Hafen und Schiffe im Nebel') {
  const { token } = server.enrolment;
  const enrol = await json('POST', `${server.url}/api/v1/auth/enrol`, { token, password });
  if (enrol.status !== 200) throw new Error(`enrol: ${JSON.stringify(enrol.body)}`);
  const confirm = await json('POST', `${server.url}/api/v1/auth/enrol/confirm`, { token, totp: totp(enrol.body.totp_secret) });
  if (confirm.status !== 200) throw new Error(`confirm: ${JSON.stringify(confirm.body)}`);
  return enrol.body.totp_secret;
}

// Enrols the demo owner over the API and signs in: headers for staff requests.
export async function ownerSession(server, password = 'Hafen und Schiffe im Nebel') {
  const { token, email } = server.enrolment;
  const enrol = await json('POST', `${server.url}/api/v1/auth/enrol`, { token, password });
  if (enrol.status !== 200) throw new Error(`enrol: ${JSON.stringify(enrol.body)}`);
  const secret = enrol.body.totp_secret;
  const confirm = await json('POST', `${server.url}/api/v1/auth/enrol/confirm`, { token, totp: totp(secret) });
  if (confirm.status !== 200) throw new Error(`confirm: ${JSON.stringify(confirm.body)}`);
  const login = await json('POST', `${server.url}/api/v1/auth/login`, {
    email,
    password,
    recovery_code: enrol.body.recovery_codes[0],
  });
  if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login.body)}`);
  return {
    Cookie: login.headers.get('set-cookie').split(';')[0],
    'X-CSRF-Token': login.body.csrf_token,
  };
}

export async function staffRequest(server, auth, method, path, body, headers = {}) {
  return json(method, `${server.url}${path}`, body, { ...auth, ...headers });
}
