// The public booking page and widget in a real browser (issue #10): a patient books end
// to end, the slot is gone for the next visitor, the manage link cancels, a slot taken
// meanwhile offers the next free times, and the widget books from another origin.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import {
  axeViolations,
  launch,
  ownerSession,
  screenshot,
  staffRequest,
  startPraxis,
  watchedPage,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startPraxis();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function expectClean(problems, page, name) {
  assert.deepEqual(problems.console, [], `console errors on ${name}`);
  assert.deepEqual(problems.foreign, [], `requests to other origins on ${name}`);
  assert.deepEqual(await axeViolations(page), [], `serious accessibility violations on ${name}`);
}

// Steps 1–2 on `page`: existing patient, the consultation, the first day with free times.
async function openFirstDay(page) {
  await page.goto(`${server.url}/book/demo`);
  await page.getByRole('button', { name: 'Ja, ich bin bereits Patient/in' }).click();
  await page.getByRole('button', { name: /^Sprechstunde/ }).click();
  await page.locator('praxis-slot-picker button.time').first().waitFor();
}

async function fillDetails(page, family) {
  await page.getByLabel('Vorname(n)').fill('Anna');
  await page.getByLabel('Nachname').fill(family);
  await page.getByLabel('Geburtsdatum').fill('12.03.1980');
  await page.getByLabel('E-Mail', { exact: true }).fill(`${family.toLowerCase()}@example.org`);
  await page.getByLabel(/erinnern Sie mich/).check();
}

async function availability(typeId, day) {
  const r = await fetch(`${server.url}/api/v1/public/practices/demo/availability?type=${typeId}&from=${day}&to=${day}`);
  return (await r.json()).slots;
}

async function consultationTypeId() {
  const info = await (await fetch(`${server.url}/api/v1/public/practices/demo`)).json();
  return info.appointment_types.find((t) => t.name === 'Sprechstunde').id;
}

describe('booking page', () => {
  let booked; // { start, practitioner, manageUrl }

  test('a patient books a slot end to end', async () => {
    const context = await browser.newContext({ locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    const { page, problems } = await watchedPage(context, [server.url]);
    await page.goto(`${server.url}/book/demo`);
    await page.getByRole('heading', { name: 'Praxis Dr. Demo' }).waitFor();
    await screenshot(page, 'booking-1-patient');
    await expectClean(problems, page, 'step 1');

    await page.getByRole('button', { name: 'Ja, ich bin bereits Patient/in' }).click();
    await page.getByRole('heading', { name: 'Welchen Termin möchten Sie buchen?' }).waitFor();
    await page.getByRole('button', { name: /^Sprechstunde/ }).click();
    const first = page.locator('praxis-slot-picker button.time').first();
    await first.waitFor();
    await screenshot(page, 'booking-2-slots');
    await expectClean(problems, page, 'step 2');

    const start = await first.getAttribute('data-start');
    await first.click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    await fillDetails(page, 'Müller');
    await screenshot(page, 'booking-3-details');
    await expectClean(problems, page, 'step 3');

    await page.getByRole('button', { name: 'Termin verbindlich buchen' }).click();
    await page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor({ timeout: 60000 });
    await screenshot(page, 'booking-4-done');
    await expectClean(problems, page, 'confirmation');

    const manageUrl = await page.locator('.manage-link a').getAttribute('href');
    assert.match(manageUrl, new RegExp(`^${server.url}/book/demo/manage#[A-Za-z0-9_.-]{20,}$`));
    // The calendar file: a download with the booked time, in UTC.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /In den Kalender/ }).click(),
    ]);
    const ics = await (await download.createReadStream()).toArray();
    const text = Buffer.concat(ics).toString('utf8');
    const utc = new Date(start).toISOString().replace(/[-:]/g, '').replace('.000', '');
    assert.match(text, /BEGIN:VEVENT/);
    assert.match(text, new RegExp(`DTSTART:${utc}`));

    // The server has it: the practitioner's slot at that start is taken.
    const typeId = await consultationTypeId();
    const day = start.slice(0, 10);
    const view = await (await fetch(`${server.url}/api/v1/public/bookings/${manageUrl.split('#')[1]}`)).json();
    assert.equal(view.start, start);
    assert.equal(view.status, 'booked');
    const free = await availability(typeId, day);
    assert.ok(!free.some((s) => s.start === start && s.practitioner === view.practitioner));
    booked = { start, practitioner: view.practitioner, manageUrl };
    await context.close();
  });

  test('the booked slot is gone for the next visitor', async () => {
    assert.ok(booked, 'needs the booking of the first test');
    const context = await browser.newContext({ locale: 'de-DE' });
    const { page } = await watchedPage(context, [server.url]);
    await openFirstDay(page);
    // Each free (start, practitioner) is one button; the booked pair is not among them.
    const offered = await page
      .locator('praxis-slot-picker button.time')
      .evaluateAll((buttons) => buttons.map((b) => b.dataset.start));
    const typeId = await consultationTypeId();
    const free = await availability(typeId, booked.start.slice(0, 10));
    assert.equal(offered.filter((s) => s === booked.start).length, free.filter((s) => s.start === booked.start).length);
    assert.ok(offered.length > 0);
    await context.close();
  });

  test('the manage link shows the booking and cancels it', async () => {
    assert.ok(booked, 'needs the booking of the first test');
    const context = await browser.newContext({ locale: 'de-DE' });
    const { page, problems } = await watchedPage(context, [server.url]);
    await page.goto(booked.manageUrl);
    await page.getByRole('heading', { name: 'Ihr Termin' }).waitFor();
    assert.equal(await page.locator('[data-status]').getAttribute('data-status'), 'booked');
    await screenshot(page, 'manage-1-view');
    await expectClean(problems, page, 'manage page');
    await page.getByRole('button', { name: 'Termin absagen' }).click();
    await page.getByRole('button', { name: 'Ja, absagen' }).click();
    await page.getByText('Der Termin ist abgesagt.').waitFor();
    assert.equal(await page.locator('[data-status]').getAttribute('data-status'), 'cancelled');
    await screenshot(page, 'manage-2-cancelled');
    await expectClean(problems, page, 'manage page after cancelling');
    const free = await availability(await consultationTypeId(), booked.start.slice(0, 10));
    assert.ok(free.some((s) => s.start === booked.start && s.practitioner === booked.practitioner));
    await context.close();
  });

  test('a slot taken meanwhile is explained and the next free times are offered', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const first = await watchedPage(context, [server.url]);
    const second = await watchedPage(context, [server.url]);
    // Both visitors pick the same practitioner's first free time on the first day.
    for (const { page } of [first, second]) {
      await openFirstDay(page);
      await page.getByLabel('Behandler/in').selectOption({ label: 'Dr. med. Anna Berg' });
      await page.locator('praxis-slot-picker button.time').first().waitFor();
    }
    const start = await first.page.locator('praxis-slot-picker button.time').first().getAttribute('data-start');
    assert.equal(await second.page.locator('praxis-slot-picker button.time').first().getAttribute('data-start'), start);
    for (const [{ page }, name] of [
      [first, 'Erster'],
      [second, 'Zweiter'],
    ]) {
      await page.locator('praxis-slot-picker button.time').first().click();
      await fillDetails(page, name);
    }
    await first.page.getByRole('button', { name: 'Termin verbindlich buchen' }).click();
    await first.page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor({ timeout: 60000 });
    await second.page.getByRole('button', { name: 'Termin verbindlich buchen' }).click();
    await second.page.getByText('Diese Zeit wurde gerade vergeben').waitFor({ timeout: 60000 });
    const offered = second.page.locator('praxis-slot-picker button.time');
    await offered.first().waitFor();
    const starts = await offered.evaluateAll((buttons) => buttons.map((b) => b.dataset.start));
    assert.ok(!starts.includes(start), 'the taken time is no longer offered');
    assert.ok(starts.length > 0, 'the next free times are offered');
    await screenshot(second.page, 'booking-slot-taken');
    assert.deepEqual(second.problems.console.filter((m) => !m.includes('409')), []);
    await context.close();
  });

  test('the page switches to English and formats dates the German way', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const { page, problems } = await watchedPage(context, [server.url]);
    await page.goto(`${server.url}/book/demo`);
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'Have you been to our practice before?' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.getByRole('button', { name: 'Yes, I am a patient here' }).click();
    await page.getByRole('button', { name: /^Consultation/ }).click();
    await page.locator('praxis-slot-picker button.time').first().waitFor();
    const day = await page.locator('praxis-slot-picker button.day').first().innerText();
    assert.match(day, /\d{2}\/\d{2}\/\d{4}|\d{2}\.\d{2}\.\d{4}/);
    const time = await page.locator('praxis-slot-picker button.time').first().innerText();
    assert.match(time, /^\d{2}:\d{2}/);
    await screenshot(page, 'booking-english');
    await expectClean(problems, page, 'English page');
    await context.close();
  });

  test('an unknown practice is explained, with 404', async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context, [server.url]);
    const response = await page.goto(`${server.url}/book/keine-praxis`);
    assert.equal(response.status(), 404);
    await page.getByText('Diese Praxis bietet keine Online-Buchung an').waitFor();
    // The API's 404 for the practice is expected here; nothing else may fail.
    assert.deepEqual(problems.console.filter((m) => !m.includes('404')), []);
    assert.deepEqual(problems.foreign, []);
    await context.close();
  });
});

describe('widget', () => {
  let host;
  let hostUrl;

  before(async () => {
    // The practice's own web site: another origin (another port) that embeds the widget.
    host = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Praxis Dr. Demo – Startseite</title>
<link rel="icon" href="data:,"></head><body><main><h1>Willkommen in der Praxis Dr. Demo</h1>
<p>Buchen Sie Ihren Termin online:</p><praxis-booking practice="demo"></praxis-booking></main>
<script src="${server.url}/widget.js" async></script></body></html>`);
    });
    await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${host.address().port}`;
  });

  after(() => new Promise((resolve) => host.close(resolve)));

  test('the page may not be framed by a site the practice has not allowed', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const frameResponse = page.waitForResponse((r) => r.url().startsWith(`${server.url}/book/demo`));
    await page.goto(hostUrl);
    const response = await frameResponse;
    assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/);
    // The frame stays empty: the booking app never runs in it.
    await page.waitForTimeout(500);
    const frame = page.frames().find((f) => f.url().startsWith(`${server.url}/book/demo`));
    const booted = frame ? await frame.locator('praxis-booking-app').count().catch(() => 0) : 0;
    assert.equal(booted, 0);
    await context.close();
  });

  test('a patient books through the widget on the practice site', async () => {
    const auth = await ownerSession(server);
    const rules = await staffRequest(server, auth, 'GET', '/api/v1/booking-rules');
    const { id, active, version, created_at, updated_at, warnings, ...document } = rules.body;
    const put = await staffRequest(
      server,
      auth,
      'PUT',
      '/api/v1/booking-rules',
      { ...document, embed_origins: [hostUrl] },
      version > 0 ? { 'If-Match': `"${version}"` } : {},
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    // The practice cache holds the rules for a few seconds.
    await new Promise((r) => setTimeout(r, 100));

    const context = await browser.newContext({ locale: 'de-DE' });
    const { page, problems } = await watchedPage(context, [server.url, hostUrl]);
    await page.goto(hostUrl);
    const frame = page.frameLocator('praxis-booking iframe');
    await frame.getByRole('button', { name: 'Ja, ich bin bereits Patient/in' }).click();
    await frame.getByRole('button', { name: /^Sprechstunde/ }).click();
    await frame.locator('praxis-slot-picker button.time').first().click();
    await frame.getByLabel('Vorname(n)').fill('Clara');
    await frame.getByLabel('Nachname').fill('Widget');
    await frame.getByLabel('Geburtsdatum').fill('1.2.1990');
    await frame.getByLabel('Telefon').fill('0151 23456789');
    await frame.getByRole('button', { name: 'Termin verbindlich buchen' }).click();
    await frame.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor({ timeout: 60000 });
    // The frame grew with its content (the page tells its height).
    const height = await page.locator('praxis-booking').evaluate((el) => el.shadowRoot.querySelector('iframe').getBoundingClientRect().height);
    assert.ok(height >= 200 && height < 1000, `frame height ${height}`);
    await screenshot(page, 'widget-done');
    assert.deepEqual(problems.console, []);
    assert.deepEqual(problems.foreign, []);
    assert.deepEqual(await axeViolations(page), []);
    await context.close();
  });
});
