// The staff app in a real browser (issue #10): enrolment from the one-time link with the
// QR code and recovery codes, sign-in with password and TOTP, the patient search as you
// type (a phonetic variant finds the patient), the calendar (a new online booking
// highlighted, dragged to another time, its status set, cancelled), the inbox, editing
// a patient while someone else saves (the conflict is shown, nothing is overwritten),
// the access log, the CSP that admits the calendar's styles and nothing else, sign-out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { axeViolations, launch, screenshot, startPraxis, totp, watchedPage } from './harness.mjs';

let server;
let browser;
let context;
let page;
let problems;
let patientId;
const password = 'Hafen und Schiffe im Nebel';

before(async () => {
  // Public bookings without proof-of-work, so the test can book over plain HTTP.
  server = await startPraxis({ '#proof_of_work = true': 'proof_of_work = false' });
  browser = await launch();
  context = await browser.newContext({ locale: 'de-DE', timezoneId: 'Europe/Berlin', viewport: { width: 1280, height: 1000 } });
  ({ page, problems } = await watchedPage(context, [server.url]));
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

async function expectClean(name) {
  assert.deepEqual(problems.console.filter((m) => !/\b(401|409|412)\b/.test(m)), [], `console errors on ${name}`);
  assert.deepEqual(problems.foreign, [], `requests to other origins on ${name}`);
  assert.deepEqual(await axeViolations(page), [], `serious accessibility violations on ${name}`);
}

// Polls `condition` until it holds (at most 10 s).
async function until(condition) {
  for (let i = 0; i < 100; ++i) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met within 10 s');
}

// Pages the week calendar until `date` (YYYY-MM-DD, the practice's local date) is one of
// its days. Each step waits for the new week's columns, so a slow load never makes it
// page past the week (a fixed pause did, under a full parallel test run).
async function showDay(date) {
  const columns = page.locator('.fc-timegrid-col[data-date]');
  await columns.first().waitFor();
  for (let i = 0; i < 8; ++i) {
    const days = await columns.evaluateAll((cols) => cols.map((c) => c.dataset.date));
    if (days.includes(date)) return;
    const forward = date > days[days.length - 1];
    await page.getByRole('button', { name: forward ? /Nächste|Next/ : /Vorherige|Previous/ }).first().click();
    await until(async () => (await columns.first().getAttribute('data-date')) !== days[0]);
  }
  throw new Error(`the calendar did not reach ${date}`);
}

// A request with this tab's session and CSRF token, as another colleague would send it.
async function staffFetch(method, path, body, headers = {}) {
  return page.evaluate(
    async ({ method, path, body, headers }) => {
      const r = await fetch(path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('praxis.csrf') ?? '', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, etag: r.headers.get('ETag'), body: text ? JSON.parse(text) : undefined };
    },
    { method, path, body, headers },
  );
}

describe('staff app', () => {
  test('the owner enrols with TOTP and signs in', async () => {
    await page.goto(`${server.url}/app/enrol#token=${server.enrolment.token}`);
    await page.getByRole('heading', { name: 'Zugang einrichten' }).waitFor();
    await page.getByLabel('Passwort', { exact: true }).fill(password);
    await page.getByLabel('Passwort wiederholen').fill(password + ' x');
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.getByText('Die beiden Passwörter stimmen nicht überein.').waitFor();
    await page.getByLabel('Passwort wiederholen').fill(password);
    await page.getByRole('button', { name: 'Weiter' }).click();
    const qr = page.getByRole('img', { name: 'QR-Code für die Authenticator-App' });
    await qr.waitFor();
    assert.ok((await qr.evaluate((img) => img.naturalWidth)) > 0, 'the QR code renders');
    const secret = await page.locator('[data-secret]').getAttribute('data-secret');
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    assert.equal(await page.locator('.codes li').count(), 10);
    await screenshot(page, 'staff-1-enrol');
    await expectClean('enrolment');
    const finish = page.getByRole('button', { name: 'Einrichtung abschließen' });
    assert.equal(await finish.isDisabled(), true, 'only after the recovery codes are stored');
    await page.getByLabel('Ich habe die Wiederherstellungscodes sicher aufbewahrt.').check();
    await page.getByLabel('Code aus der Authenticator-App').fill(totp(secret));
    await finish.click();
    await page.getByText('Ihr Zugang ist eingerichtet.').waitFor();
    assert.equal(new URL(page.url()).pathname, '/app');

    // A wrong code is refused; the next step's code is accepted.
    await page.getByLabel('E-Mail-Adresse').fill(server.enrolment.email);
    await page.getByLabel('Passwort').fill(password);
    await page.getByLabel('Code aus der Authenticator-App').fill('000000');
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.locator('.alert.error').waitFor();
    await screenshot(page, 'staff-2-login-refused');
    await page.getByLabel('Code aus der Authenticator-App').fill(totp(secret, Date.now() + 30000));
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.getByText(/Angemeldet als .*Inhaber\/in/).waitFor();
  });

  test('a new online booking is highlighted, moved by dragging, marked arrived, cancelled', async () => {
    // A patient books on the public API (proof-of-work is off for this server).
    const info = await (await fetch(`${server.url}/api/v1/public/practices/demo`)).json();
    const type = info.appointment_types.find((x) => x.name === 'Sprechstunde');
    const practitioner = type.practitioners[0];
    const from = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
    const until = new Date(Date.now() + 8 * 86400000).toISOString().slice(0, 10);
    const free = await (await fetch(`${server.url}/api/v1/public/practices/demo/availability?type=${type.id}&from=${from}&to=${until}&practitioner=${practitioner}`)).json();
    const start = free.slots[0].start;
    const booked = await fetch(`${server.url}/api/v1/public/practices/demo/bookings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        appointment_type: type.id, practitioner, start,
        patient: { family_name: 'Online', given_names: 'Olga', birth_date: '1975-05-05', phone: '0151 11122233', insurance_kind: 'GKV', new_patient: true },
      }),
    });
    assert.equal(booked.status, 201, await booked.text());

    await page.reload();
    await page.getByRole('button', { name: 'Online-Buchungen (1 neu)' }).waitFor();
    const pending = (await staffFetch('GET', '/api/v1/online-bookings')).body.online_bookings;
    const appointmentId = pending[0].appointment_id;
    // Go to the booking's week; the event carries the highlight of a new online booking.
    const event = page.locator(`[data-appointment="${appointmentId}"]`);
    await showDay(start.slice(0, 10));
    await event.waitFor();
    assert.match(await event.getAttribute('class'), /online-new/);
    assert.match(await event.innerText(), /Online, Olga/);
    await screenshot(page, 'staff-4-calendar');
    await expectClean('calendar');

    // Drag it to another free time of the same day (30 minutes later or more).
    const day = start.slice(0, 10);
    const later = (await staffFetch('GET', `/api/v1/availability?type=${type.id}&from=${day}&to=${day}&practitioner=${practitioner}`)).body.slots
      .map((s) => s.start)
      .find((s) => new Date(s) - new Date(start) >= 30 * 60000);
    assert.ok(later, 'a later free time that day');
    const slotHeight = await page.locator('.fc-timegrid-slot').first().evaluate((el) => el.getBoundingClientRect().height);
    const box = await event.boundingBox();
    const dy = ((new Date(later) - new Date(start)) / (15 * 60000)) * slotHeight;
    await page.mouse.move(box.x + box.width / 2, box.y + 5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + 5 + dy / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width / 2, box.y + 5 + dy, { steps: 5 });
    await page.mouse.up();
    await page.getByText(/Termin auf .* verschoben/).waitFor();
    let appointment = (await staffFetch('GET', `/api/v1/appointments/${appointmentId}`)).body;
    assert.equal(new Date(appointment.start).getTime(), new Date(later).getTime());

    // Status, then cancel, from the appointment's dialog.
    await page.locator(`[data-appointment="${appointmentId}"]`).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Angekommen' }).click();
    await page.getByText('Status: Angekommen.').waitFor();
    appointment = (await staffFetch('GET', `/api/v1/appointments/${appointmentId}`)).body;
    assert.equal(appointment.status, 'arrived');

    // The inbox: confirm the booking; the highlight and the count go.
    await page.getByRole('button', { name: 'Online-Buchungen (1 neu)' }).click();
    await page.getByRole('heading', { name: /Online, Olga/ }).waitFor();
    await screenshot(page, 'staff-5-inbox');
    await expectClean('inbox');
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.getByText('Keine neuen Online-Buchungen.').waitFor();
    await page.getByRole('button', { name: 'Kalender' }).click();
    const moved = page.locator(`[data-appointment="${appointmentId}"]`);
    await showDay(start.slice(0, 10));
    await moved.waitFor();
    assert.doesNotMatch(await moved.getAttribute('class'), /online-new/);
    await moved.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Termin absagen' }).click();
    await page.getByText('Status: Abgesagt.').waitFor();
    await moved.waitFor({ state: 'detached' });
    appointment = (await staffFetch('GET', `/api/v1/appointments/${appointmentId}`)).body;
    assert.equal(appointment.status, 'cancelled');
  });

  test('a click on a free time books an appointment for a found patient', async () => {
    const created = await staffFetch('POST', '/api/v1/patients', {
      family_name: 'Meyer-Lüdenscheidt', given_names: 'Jörg', birth_date: '1961-07-04', confirm_new: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    patientId = created.body.id;
    // A free time next week of the first practitioner (whom the dialog proposes): click
    // its cell in the week view.
    await page.getByRole('button', { name: /Nächste|Next/ }).first().click();
    const practitioner = (await staffFetch('GET', '/api/v1/practitioners')).body.practitioners.filter((p) => p.active)[0];
    const type = (await staffFetch('GET', '/api/v1/appointment-types')).body.appointment_types.find(
      (x) => x.active && x.practitioners.includes(practitioner.id),
    );
    const days = await page.locator('.fc-timegrid-col[data-date]').evaluateAll((cols) => cols.map((c) => c.dataset.date));
    const slots = (await staffFetch('GET', `/api/v1/availability?type=${type.id}&from=${days[0]}&to=${days[6]}&practitioner=${practitioner.id}`)).body.slots;
    // A start on the quarter hour that FullCalendar's 15-minute rows show.
    const slot = slots.find((x) => /T\d{2}:(00|15|30|45):00/.test(x.start));
    const local = slot.start.slice(11, 19);
    // Only this practitioner's appointments in view: another's at the same time would
    // sit in the cell and take the click.
    await page.getByLabel('Behandler/in').selectOption(practitioner.id);
    await until(async () => (await page.locator(`[data-practitioner]:not([data-practitioner="${practitioner.id}"])`).count()) === 0);
    const colBox = await page.locator(`.fc-timegrid-col[data-date="${slot.start.slice(0, 10)}"]`).boundingBox();
    const rowBox = await page.locator(`.fc-timegrid-slot-lane[data-time="${local}"]`).boundingBox();
    await page.mouse.click(colBox.x + colBox.width / 2, rowBox.y + rowBox.height / 2);
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Neuer Termin' }).waitFor({ timeout: 3000 });
    await dialog.getByLabel('Patient/in').pressSequentially('Lüdenscheidt', { delay: 20 });
    await dialog.getByRole('button', { name: /Meyer-Lüdenscheidt, Jörg/ }).click();
    await screenshot(page, 'staff-6-new-appointment');
    await dialog.getByRole('button', { name: 'Termin anlegen' }).click();
    await page.getByText(/Termin am .* angelegt/).waitFor();
    const event = page.locator('.fc-event', { hasText: 'Meyer-Lüdenscheidt' });
    await event.waitFor();
    const booked = (await staffFetch('GET', `/api/v1/appointments?from=${encodeURIComponent(slot.start)}&to=${new Date(new Date(slot.start).getTime() + 3600000).toISOString().replace('.000', '')}&practitioner=${practitioner.id}`)).body.appointments;
    assert.ok(booked.some((a) => a.patient_id === patientId && new Date(a.start).getTime() === new Date(slot.start).getTime()));
  });

  test('the calendar shows one room or device on its own', async () => {
    const room = await staffFetch('POST', '/api/v1/resources', { name: 'Ultraschall', kind: 'device' });
    assert.equal(room.status, 201, JSON.stringify(room.body));
    const practitioner = (await staffFetch('GET', '/api/v1/practitioners')).body.practitioners.filter((p) => p.active)[0];
    const type = await staffFetch('POST', '/api/v1/appointment-types', {
      name_de: 'Sonographie', duration_minutes: 15, practitioners: [practitioner.id], resources: [room.body.id],
    });
    assert.equal(type.status, 201, JSON.stringify(type.body));
    await page.reload();
    await page.getByRole('button', { name: /Nächste|Next/ }).first().click();
    const days = await page.locator('.fc-timegrid-col[data-date]').evaluateAll((cols) => cols.map((c) => c.dataset.date));
    const slot = (await staffFetch('GET', `/api/v1/availability?type=${type.body.id}&from=${days[0]}&to=${days[6]}&practitioner=${practitioner.id}`)).body.slots[0];
    const made = await staffFetch('POST', '/api/v1/appointments', { type_id: type.body.id, practitioner_id: practitioner.id, start: slot.start });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await page.getByRole('button', { name: /Vorherige|Previous/ }).first().click();
    await page.getByRole('button', { name: /Nächste|Next/ }).first().click();
    await page.locator(`[data-appointment="${made.body.id}"]`).waitFor();
    assert.ok((await page.locator('[data-appointment]').count()) > 1);
    await page.getByLabel('Raum oder Gerät').selectOption({ label: 'Ultraschall' });
    await page.waitForFunction(
      () => document.querySelector('praxis-staff-app').shadowRoot.querySelector('praxis-calendar').shadowRoot.querySelectorAll('[data-appointment]').length === 1,
    );
    assert.equal(await page.locator(`[data-appointment="${made.body.id}"]`).count(), 1);
    await screenshot(page, 'staff-6b-resource');
    await expectClean('calendar by resource');
  });

  test('the calendar works from the keyboard: open an appointment, move it, book one', async () => {
    await page.reload();
    await page.getByRole('button', { name: /Nächste|Next/ }).first().click();
    const first = page.locator('.fc-event[data-appointment]').first();
    await first.waitFor();
    const id = await first.getAttribute('data-appointment');
    const before = (await staffFetch('GET', `/api/v1/appointments/${id}`)).body;
    await first.focus();
    await page.keyboard.press('Enter');
    const details = page.getByRole('dialog');
    await details.getByLabel('Verschieben auf').waitFor();
    // A free time of the same practitioner and type, entered as a date and time.
    const day = before.start.slice(0, 10);
    const free = (await staffFetch('GET', `/api/v1/availability?type=${before.type_id}&from=${day}&to=${day}&practitioner=${before.practitioner_id}`)).body.slots
      .map((x) => x.start)
      .find((x) => x !== before.start);
    await details.getByLabel('Verschieben auf').fill(free.slice(0, 16));
    await page.keyboard.press('Enter');
    await page.getByText(/Termin auf .* verschoben/).waitFor();
    const after = (await staffFetch('GET', `/api/v1/appointments/${id}`)).body;
    assert.equal(new Date(after.start).getTime(), new Date(free).getTime());

    const create = page.getByRole('button', { name: 'Neuer Termin' });
    await create.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Beginn').waitFor();
    assert.match(await dialog.getByLabel('Beginn').inputValue(), /T09:00$/);
    await screenshot(page, 'staff-6c-keyboard-create');
    await expectClean('calendar by keyboard');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  test('search finds the patient by a phonetic variant; a concurrent edit is shown, not overwritten', async () => {
    await page.getByRole('button', { name: 'Patienten' }).click();
    // "Maier" alone finds dozens of Meiers, Meyers and Mayers among the demo patients
    // (ties in random id order); with the given name the list is short and holds him.
    await page.getByLabel('Patient suchen').pressSequentially('Maier Jörg', { delay: 30 });
    const hit = page.locator(`[data-patient="${patientId}"] button`);
    await hit.waitFor();
    assert.match(await hit.innerText(), /Meyer-Lüdenscheidt, Jörg\s+04\.07\.1961/);
    await screenshot(page, 'staff-7-search');
    await hit.click();
    await page.getByRole('heading', { name: 'Meyer-Lüdenscheidt, Jörg' }).waitFor();

    // I change the phone number; meanwhile a colleague saves a note.
    await page.getByLabel('Telefon').fill('030 1234567');
    const current = await staffFetch('GET', `/api/v1/patients/${patientId}`);
    const theirs = await staffFetch('PATCH', `/api/v1/patients/${patientId}`, { note: 'Allergie: Penicillin' }, { 'If-Match': current.etag });
    assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.getByRole('heading', { name: 'Jemand anderes hat diesen Datensatz inzwischen geändert' }).waitFor();
    await screenshot(page, 'staff-8-conflict');
    await expectClean('patient conflict');
    let stored = (await staffFetch('GET', `/api/v1/patients/${patientId}`)).body;
    assert.equal(stored.note, 'Allergie: Penicillin');
    assert.equal(stored.phones?.length ?? 0, 0, 'my change was not written over theirs');

    await page.getByRole('button', { name: 'Meine Änderungen übernehmen' }).click();
    assert.equal(await page.getByLabel('Notiz').inputValue(), 'Allergie: Penicillin');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.getByText('Gespeichert.').waitFor();
    stored = (await staffFetch('GET', `/api/v1/patients/${patientId}`)).body;
    assert.equal(stored.note, 'Allergie: Penicillin');
    assert.equal(stored.phones[0].number, '+49301234567');

    await page.getByRole('button', { name: 'Zugriffsprotokoll' }).click();
    await page.getByRole('heading', { name: 'Zugriffsprotokoll' }).waitFor();
    assert.ok((await page.locator('praxis-access-log tbody tr').count()) >= 3);
    await screenshot(page, 'staff-9-access-log');
    await expectClean('access log');
  });

  test('an online booking by a known patient under a misspelt name is merged from the inbox', async () => {
    const info = await (await fetch(`${server.url}/api/v1/public/practices/demo`)).json();
    const type = info.appointment_types.find((x) => x.name === 'Sprechstunde');
    const from = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
    const until = new Date(Date.now() + 9 * 86400000).toISOString().slice(0, 10);
    const free = await (await fetch(`${server.url}/api/v1/public/practices/demo/availability?type=${type.id}&from=${from}&to=${until}`)).json();
    const booked = await fetch(`${server.url}/api/v1/public/practices/demo/bookings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        appointment_type: type.id, start: free.slots[0].start, practitioner: free.slots[0].practitioner,
        patient: { family_name: 'Meier-Lüdenscheidt', given_names: 'Jörg', birth_date: '1961-07-04', email: 'joerg@example.org', insurance_kind: 'GKV', new_patient: false },
      }),
    });
    assert.equal(booked.status, 201, await booked.text());
    await page.reload();
    await page.getByRole('button', { name: 'Online-Buchungen (1 neu)' }).click();
    const card = page.locator('article', { hasText: 'Meier-Lüdenscheidt' });
    await card.getByRole('button', { name: 'Bekannte/r Patient/in? Zusammenführen' }).click();
    await card.getByRole('button', { name: /Meyer-Lüdenscheidt, Jörg · 04\.07\.1961/ }).click();
    await page.getByText('Mit Meyer-Lüdenscheidt, Jörg zusammengeführt und bestätigt.').waitFor();
    await page.getByText('Keine neuen Online-Buchungen.').waitFor();
    await expectClean('inbox after merging');
    const appointments = (await staffFetch('GET', `/api/v1/appointments?from=${encodeURIComponent(free.slots[0].start)}&to=${new Date(new Date(free.slots[0].start).getTime() + 900000).toISOString().replace('.000', '')}`)).body.appointments;
    assert.ok(appointments.some((a) => a.patient_id === patientId), 'the appointment now belongs to the known patient');
  });

  test('the CSP admits the calendar’s empty style element and blocks injected styles', async () => {
    const result = await page.evaluate(() => {
      const empty = document.createElement('style');
      document.head.append(empty);
      const injected = document.createElement('style');
      injected.textContent = 'body { display: none }';
      document.head.append(injected);
      return { empty: empty.sheet !== null, injected: injected.sheet !== null };
    });
    assert.deepEqual(result, { empty: true, injected: false });
    problems.console.length = 0; // the blocked style is reported on the console
  });

  test('the owner configures types, working hours, absences, the team and the booking rules', async () => {
    await page.getByRole('button', { name: 'Einstellungen' }).click();
    await page.getByRole('heading', { name: 'Einstellungen' }).waitFor();
    // A new appointment type.
    await page.getByRole('button', { name: 'Neue Terminart' }).click();
    await page.getByLabel('Name (deutsch)').fill('Impfung');
    await page.getByLabel('Name (englisch)').fill('Vaccination');
    await page.getByLabel('Dauer (Minuten)').fill('10');
    await screenshot(page, 'staff-11-settings-type');
    await expectClean('settings: type');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.locator('[data-type]', { hasText: 'Impfung' }).waitFor();
    const types = (await staffFetch('GET', '/api/v1/appointment-types')).body.appointment_types;
    const vaccination = types.find((x) => x.name_de === 'Impfung');
    assert.equal(vaccination.duration_minutes, 10);
    assert.equal(vaccination.online_bookable, true);

    // Working hours: a wrong entry is explained, a right one saved.
    await page.getByRole('button', { name: 'Arbeitszeiten' }).click();
    const saturday = page.getByLabel('Samstag');
    await saturday.waitFor();
    await saturday.fill('9 bis 12');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.getByText('Bitte Zeiten wie 08:00-12:00 angeben').waitFor();
    await saturday.fill('09:00-12:00');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.getByText('Gespeichert.').waitFor();
    const practitioner = await page.getByLabel('Behandler/in').inputValue();
    const plan = (await staffFetch('GET', `/api/v1/practitioners/${practitioner}/working-plan`)).body;
    assert.deepEqual(plan.rules.find((r) => r.weekday === 'sat').intervals, [['09:00', '12:00']]);
    assert.ok(plan.rules.some((r) => r.weekday === 'mon'), 'the other days are kept');
    await screenshot(page, 'staff-12-settings-plan');
    await expectClean('settings: plan');

    // An absence.
    await page.getByRole('button', { name: 'Abwesenheiten' }).click();
    const year = new Date().getFullYear() + 1;
    await page.getByLabel('Von').fill(`${year}-02-02T08:00`);
    await page.getByLabel('Bis').fill(`${year}-02-06T18:00`);
    await page.getByRole('button', { name: 'Eintragen' }).click();
    await page.locator('[data-absence]').first().waitFor();
    await expectClean('settings: absences');

    // An invitation: the one-time link is shown to hand over.
    await page.getByRole('button', { name: 'Team' }).click();
    await page.getByLabel('E-Mail-Adresse').fill('mfa@demo.example');
    await page.getByLabel('Name').fill('Mia Fischer');
    await page.getByRole('button', { name: 'Einladen' }).click();
    const link = await page.locator('[data-link]').innerText();
    assert.match(link, /\/app\/enrol#token=[A-Za-z0-9_-]+$/);
    await page.locator('[data-user]', { hasText: 'mfa@demo.example' }).waitFor();
    await screenshot(page, 'staff-13-settings-team');
    await expectClean('settings: team');

    // Booking rules: the widget's sites, checked by the server.
    await page.getByRole('button', { name: 'Buchungsregeln' }).click();
    const embed = page.getByLabel('Websites, die das Buchungs-Widget einbetten dürfen');
    await embed.fill('http://www.praxis-demo.de');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.getByText(/embed_origins\[0\]/).waitFor();
    assert.ok(problems.console.every((m) => m.includes('400')));
    problems.console.length = 0; // the refused save, reported on the console
    await embed.fill('https://www.praxis-demo.de');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.getByText('Gespeichert.').waitFor();
    const rules = (await staffFetch('GET', '/api/v1/booking-rules')).body;
    assert.deepEqual(rules.embed_origins, ['https://www.praxis-demo.de']);
    await expectClean('settings: rules');
  });

  test('help, English, and signing out', async () => {
    await page.getByRole('button', { name: 'Hilfe' }).click();
    await page.getByRole('heading', { name: 'Datensicherung' }).waitFor();
    await screenshot(page, 'staff-10-help');
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'Backups' }).waitFor();
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    await expectClean('help');
    // A reload keeps the session (cookie) and the CSRF token (this tab).
    await page.reload();
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await page.getByText('Sie sind abgemeldet.').waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
    assert.equal(me, 401);
  });
});

test('a broken enrolment link is explained', async () => {
  const other = await browser.newContext({ locale: 'de-DE' });
  const watched = await watchedPage(other, [server.url]);
  await watched.page.goto(`${server.url}/app/enrol`);
  await watched.page.getByText('Der Einrichtungslink ist unvollständig.').waitFor();
  assert.deepEqual(watched.problems.console.filter((m) => !m.includes('401')), []);
  await other.close();
});
