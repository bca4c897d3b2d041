// The staff app in a real browser (issue #10, first part): enrolment from the one-time
// link with the QR code and recovery codes, sign-in with password and TOTP, the patient
// search as you type (a phonetic variant finds the patient), sign-out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, launch, screenshot, startPraxis, totp, watchedPage } from './harness.mjs';

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
  assert.deepEqual(problems.console.filter((m) => !m.includes('401')), [], `console errors on ${name}`);
  assert.deepEqual(problems.foreign, [], `requests to other origins on ${name}`);
  assert.deepEqual(await axeViolations(page), [], `serious accessibility violations on ${name}`);
}

test('the owner enrols with TOTP, signs in, finds a patient by a phonetic variant', async () => {
  const password = 'Hafen und Schiffe im Nebel';
  const context = await browser.newContext({ locale: 'de-DE' });
  const { page, problems } = await watchedPage(context, [server.url]);

  // Enrolment from the link `praxis init` printed.
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
  await expectClean(problems, page, 'enrolment');
  const finish = page.getByRole('button', { name: 'Einrichtung abschließen' });
  assert.equal(await finish.isDisabled(), true, 'only after the recovery codes are stored');
  await page.getByLabel('Ich habe die Wiederherstellungscodes sicher aufbewahrt.').check();
  await page.getByLabel('Code aus der Authenticator-App').fill(totp(secret));
  await finish.click();
  await page.getByText('Ihr Zugang ist eingerichtet.').waitFor();
  assert.equal(new URL(page.url()).pathname, '/app');

  // Sign-in: a wrong code is refused, the next step's code is accepted.
  await page.getByLabel('E-Mail-Adresse').fill(server.enrolment.email);
  await page.getByLabel('Passwort').fill(password);
  await page.getByLabel('Code aus der Authenticator-App').fill('000000');
  await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
  await page.locator('.alert.error').waitFor();
  await screenshot(page, 'staff-2-login-refused');
  await page.getByLabel('Code aus der Authenticator-App').fill(totp(secret, Date.now() + 30000));
  await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
  await page.getByRole('heading', { name: 'Praxis Dr. Demo' }).waitFor();
  await page.getByText(/Angemeldet als .*Inhaber\/in/).waitFor();

  // A patient to find, created through the API with this session.
  const created = await page.evaluate(async () => {
    const r = await fetch('/api/v1/patients', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('praxis.csrf') },
      body: JSON.stringify({ family_name: 'Meyer-Lüdenscheidt', given_names: 'Jörg', birth_date: '1961-07-04', confirm_new: true }),
    });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  // Search as you type: "Maier" finds Meyer (Kölner Phonetik).
  await page.getByLabel('Patient suchen').pressSequentially('Maier', { delay: 40 });
  const hit = page.locator(`[data-patient="${created.body.id}"]`);
  await hit.waitFor();
  assert.match(await hit.innerText(), /Meyer-Lüdenscheidt, Jörg\s+04\.07\.1961/);
  await screenshot(page, 'staff-3-search');
  await expectClean(problems, page, 'search');

  // A reload keeps the session (cookie) and the CSRF token (this tab).
  await page.reload();
  await page.getByLabel('Patient suchen').waitFor();
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.getByText('Sie sind abgemeldet.').waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
  assert.equal(me, 401);
  await context.close();
});

test('a broken enrolment link is explained', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  const { page, problems } = await watchedPage(context, [server.url]);
  await page.goto(`${server.url}/app/enrol`);
  await page.getByText('Der Einrichtungslink ist unvollständig.').waitFor();
  await expectClean(problems, page, 'broken link');
  await context.close();
});
