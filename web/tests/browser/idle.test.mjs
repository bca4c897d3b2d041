// Automatic sign-out of the staff app (issue #10): with a one-minute idle time the
// warning comes after 45 s without input; "Angemeldet bleiben" renews the session; a
// minute later without input the app signs out and says why.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { enrolOwner, launch, screenshot, startPraxis, totp, watchedPage } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startPraxis({ '#session_idle_minutes = 15': 'session_idle_minutes = 1' });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an idle session is warned about, renewed on request, then signed out', async () => {
  const password = 'Hafen und Schiffe im Nebel';
  const secret = await enrolOwner(server, password);
  const context = await browser.newContext({ locale: 'de-DE' });
  const { page, problems } = await watchedPage(context, [server.url]);
  await page.goto(`${server.url}/app`);
  await page.getByLabel('E-Mail-Adresse').fill(server.enrolment.email);
  await page.getByLabel('Passwort').fill(password);
  await page.getByLabel('Code aus der Authenticator-App').fill(totp(secret, Date.now() + 30000));
  await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
  await page.getByRole('button', { name: 'Abmelden' }).waitFor();

  const warning = page.getByRole('dialog', { name: 'Automatische Abmeldung' });
  await warning.waitFor({ timeout: 70000 });
  await screenshot(page, 'staff-idle-warning');
  await warning.getByRole('button', { name: 'Angemeldet bleiben' }).click();
  await warning.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status), 200);

  await page.getByText('Sie wurden nach längerer Inaktivität automatisch abgemeldet.').waitFor({ timeout: 90000 });
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status), 401);
  assert.deepEqual(problems.console.filter((m) => !m.includes('401')), []);
  assert.deepEqual(problems.foreign, []);
  await context.close();
});
