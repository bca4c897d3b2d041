// A small message catalogue: German first, English second. Components call t() in
// render(), and re-render when the language changes (see LanguageController).
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type Lang = 'de' | 'en';

type Catalogue = Record<string, string>;

const de: Catalogue = {
  'app.title': 'Online-Terminbuchung',
  'lang.switch': 'English',
  'lang.switch.label': 'Switch to English',
  'loading': 'Wird geladen …',
  'retry': 'Erneut versuchen',
  'back': 'Zurück',
  'next': 'Weiter',
  'step': 'Schritt {n} von {total}',
  'practice.label': 'Praxis',
  'practice.notfound': 'Diese Praxis bietet keine Online-Buchung an oder die Adresse ist falsch.',
  'patient.question': 'Waren Sie schon einmal in unserer Praxis?',
  'patient.existing': 'Ja, ich bin bereits Patient/in',
  'patient.new': 'Nein, ich bin zum ersten Mal hier',
  'type.choose': 'Welchen Termin möchten Sie buchen?',
  'type.minutes': '{n} Minuten',
  'type.none': 'Für Ihre Auswahl gibt es derzeit keine online buchbaren Termine. Bitte rufen Sie uns an.',
  'practitioner.label': 'Behandler/in',
  'practitioner.any': 'Egal – erste freie Zeit',
  'day.choose': 'Wählen Sie einen Tag',
  'day.free': '{n} freie Zeiten',
  'day.free.one': '1 freie Zeit',
  'day.free.none': 'nichts frei',
  'week.previous': 'Frühere Tage',
  'week.next': 'Spätere Tage',
  'week.empty': 'In diesem Zeitraum ist nichts frei.',
  'time.choose': 'Freie Zeiten am {day}',
  'time.with': 'bei {name}',
  'details.title': 'Ihre Angaben',
  'details.summary': '{type} am {day} um {time} Uhr',
  'field.family_name': 'Nachname',
  'field.given_names': 'Vorname(n)',
  'field.birth_date': 'Geburtsdatum',
  'field.birth_date.hint': 'TT.MM.JJJJ',
  'field.phone': 'Telefon',
  'field.email': 'E-Mail',
  'field.contact.hint': 'Bitte geben Sie Telefon oder E-Mail an, damit wir Sie erreichen können.',
  'field.insurance_kind': 'Versicherung',
  'insurance.GKV': 'Gesetzlich versichert',
  'insurance.PKV': 'Privat versichert',
  'insurance.self_pay': 'Selbstzahler/in',
  'insurance.BG': 'Berufsgenossenschaft (Arbeitsunfall)',
  'field.message': 'Nachricht an die Praxis (freiwillig)',
  'field.reminder_consent': 'Bitte erinnern Sie mich vor dem Termin (per E-Mail bzw. SMS).',
  'field.required': 'Pflichtfeld',
  'privacy': 'Ihre Angaben werden verschlüsselt gespeichert und nur von der Praxis gelesen.',
  'submit': 'Termin verbindlich buchen',
  'submitting': 'Wird gebucht …',
  'pow.working': 'Sicherheitsprüfung läuft im Hintergrund …',
  'pow.failed': 'Die Sicherheitsprüfung ist fehlgeschlagen. Bitte laden Sie die Seite neu.',
  'done.title': 'Ihr Termin ist gebucht',
  'done.reference': 'Buchungsnummer',
  'done.when': 'Termin',
  'done.instructions': 'Hinweise der Praxis',
  'done.manage': 'Über diesen Link können Sie den Termin ansehen, verschieben oder absagen. Bitte bewahren Sie ihn auf:',
  'done.copy': 'Link kopieren',
  'done.copied': 'Kopiert',
  'done.calendar': 'In den Kalender eintragen (.ics)',
  'done.again': 'Weiteren Termin buchen',
  'manage.title': 'Ihr Termin',
  'manage.missing': 'Der Link ist unvollständig. Bitte öffnen Sie ihn genau so, wie Sie ihn erhalten haben.',
  'manage.status': 'Status',
  'status.booked': 'Gebucht',
  'status.confirmed': 'Bestätigt',
  'status.cancelled': 'Abgesagt',
  'status.arrived': 'Angekommen',
  'status.completed': 'Erledigt',
  'status.no_show': 'Nicht erschienen',
  'manage.deadline': 'Änderungen sind bis {when} möglich.',
  'manage.locked': 'Der Termin kann online nicht mehr geändert werden. Bitte rufen Sie die Praxis an.',
  'manage.cancel': 'Termin absagen',
  'manage.cancel.confirm': 'Möchten Sie den Termin am {when} wirklich absagen?',
  'manage.cancel.yes': 'Ja, absagen',
  'manage.cancel.no': 'Nein, behalten',
  'manage.cancelled': 'Der Termin ist abgesagt.',
  'manage.reschedule': 'Termin verschieben',
  'manage.reschedule.pick': 'Neue Zeit wählen',
  'manage.reschedule.to': 'Auf {when} verschieben',
  'manage.moved': 'Der Termin ist verschoben.',
  'error.slot_taken': 'Diese Zeit wurde gerade vergeben. Bitte wählen Sie eine andere – hier die nächsten freien Zeiten:',
  'error.rate_limited': 'Zu viele Anfragen. Bitte warten Sie {n} Sekunden und versuchen Sie es erneut.',
  'error.network': 'Keine Verbindung zur Praxis. Bitte prüfen Sie Ihre Internetverbindung.',
  'error.server': 'Ein Fehler ist aufgetreten. Bitte versuchen Sie es später erneut (Fehlernummer {id}).',
  'error.fields': 'Bitte prüfen Sie die markierten Angaben.',
  'error.not_found': 'Nicht gefunden.',
  'calendar.summary': 'Termin: {type}',
  'staff.title': 'praxis – Praxisverwaltung',
  'staff.login': 'Anmelden',
  'staff.email': 'E-Mail-Adresse',
  'staff.password': 'Passwort',
  'staff.password.repeat': 'Passwort wiederholen',
  'staff.password.hint': 'Mindestens 12 Zeichen; ein Satz, den nur Sie kennen, ist gut zu merken.',
  'staff.password.mismatch': 'Die beiden Passwörter stimmen nicht überein.',
  'staff.totp': 'Code aus der Authenticator-App',
  'staff.totp.hint': '6 Ziffern, alle 30 Sekunden neu',
  'staff.recovery': 'Wiederherstellungscode',
  'staff.use_recovery': 'Telefon verloren? Mit Wiederherstellungscode anmelden',
  'staff.use_totp': 'Mit Code aus der App anmelden',
  'staff.logging_in': 'Wird angemeldet …',
  'staff.logout': 'Abmelden',
  'staff.logged_out': 'Sie sind abgemeldet.',
  'staff.idle_logged_out': 'Sie wurden nach längerer Inaktivität automatisch abgemeldet.',
  'staff.signed_in_as': 'Angemeldet als {name} ({role})',
  'staff.recovery_left': 'Sie haben einen Wiederherstellungscode verwendet; es bleiben {n}. Richten Sie bei Bedarf die App neu ein.',
  'enrol.title': 'Zugang einrichten',
  'enrol.missing': 'Der Einrichtungslink ist unvollständig. Bitte öffnen Sie ihn genau so, wie Sie ihn erhalten haben.',
  'enrol.step1': 'Wählen Sie Ihr Passwort.',
  'enrol.continue': 'Weiter',
  'enrol.step2': 'Scannen Sie den QR-Code mit einer Authenticator-App (z. B. FreeOTP, Aegis, Google oder Microsoft Authenticator).',
  'enrol.qr': 'QR-Code für die Authenticator-App',
  'enrol.secret': 'Oder geben Sie diesen Schlüssel in der App ein:',
  'enrol.codes': 'Ihre Wiederherstellungscodes – jeder gilt einmal, falls Sie Ihr Telefon verlieren. Drucken Sie sie aus oder schreiben Sie sie ab:',
  'enrol.codes.saved': 'Ich habe die Wiederherstellungscodes sicher aufbewahrt.',
  'enrol.confirm': 'Einrichtung abschließen',
  'enrol.done': 'Ihr Zugang ist eingerichtet. Melden Sie sich jetzt an.',
  'idle.title': 'Automatische Abmeldung',
  'idle.text': 'Sie waren eine Weile inaktiv. Zum Schutz der Patientendaten werden Sie in {n} Sekunden abgemeldet.',
  'idle.stay': 'Angemeldet bleiben',
  'search.label': 'Patient suchen',
  'search.hint': 'Name, Geburtsdatum (12.03.1980), Telefon, E-Mail oder KVNR – auch kombiniert',
  'search.none': 'Keine Patienten gefunden.',
  'search.more': 'Weitere anzeigen',
  'role.owner': 'Inhaber/in',
  'role.physician': 'Ärztin/Arzt',
  'role.assistant': 'MFA',
  'role.reception': 'Empfang',
  'role.auditor': 'Prüfer/in',
};

const en: Catalogue = {
  'app.title': 'Online booking',
  'lang.switch': 'Deutsch',
  'lang.switch.label': 'Auf Deutsch umschalten',
  'loading': 'Loading …',
  'retry': 'Try again',
  'back': 'Back',
  'next': 'Next',
  'step': 'Step {n} of {total}',
  'practice.label': 'Practice',
  'practice.notfound': 'This practice does not offer online booking, or the address is wrong.',
  'patient.question': 'Have you been to our practice before?',
  'patient.existing': 'Yes, I am a patient here',
  'patient.new': 'No, this is my first visit',
  'type.choose': 'Which appointment would you like to book?',
  'type.minutes': '{n} minutes',
  'type.none': 'There are no appointments to book online for your choice right now. Please call us.',
  'practitioner.label': 'Practitioner',
  'practitioner.any': 'Any – first free time',
  'day.choose': 'Choose a day',
  'day.free': '{n} free times',
  'day.free.one': '1 free time',
  'day.free.none': 'nothing free',
  'week.previous': 'Earlier days',
  'week.next': 'Later days',
  'week.empty': 'Nothing is free in this period.',
  'time.choose': 'Free times on {day}',
  'time.with': 'with {name}',
  'details.title': 'Your details',
  'details.summary': '{type} on {day} at {time}',
  'field.family_name': 'Family name',
  'field.given_names': 'Given name(s)',
  'field.birth_date': 'Date of birth',
  'field.birth_date.hint': 'DD.MM.YYYY',
  'field.phone': 'Phone',
  'field.email': 'E-mail',
  'field.contact.hint': 'Please give a phone number or an e-mail address so that we can reach you.',
  'field.insurance_kind': 'Insurance',
  'insurance.GKV': 'Statutory health insurance',
  'insurance.PKV': 'Private health insurance',
  'insurance.self_pay': 'Self-paying',
  'insurance.BG': 'Employers’ liability insurance (accident at work)',
  'field.message': 'Message to the practice (optional)',
  'field.reminder_consent': 'Please remind me before the appointment (by e-mail or text message).',
  'field.required': 'Required',
  'privacy': 'Your details are stored encrypted and read only by the practice.',
  'submit': 'Book this appointment',
  'submitting': 'Booking …',
  'pow.working': 'Security check running in the background …',
  'pow.failed': 'The security check failed. Please reload the page.',
  'done.title': 'Your appointment is booked',
  'done.reference': 'Booking reference',
  'done.when': 'Appointment',
  'done.instructions': 'Notes from the practice',
  'done.manage': 'With this link you can view, move or cancel the appointment. Please keep it:',
  'done.copy': 'Copy link',
  'done.copied': 'Copied',
  'done.calendar': 'Add to calendar (.ics)',
  'done.again': 'Book another appointment',
  'manage.title': 'Your appointment',
  'manage.missing': 'The link is incomplete. Please open it exactly as you received it.',
  'manage.status': 'Status',
  'status.booked': 'Booked',
  'status.confirmed': 'Confirmed',
  'status.cancelled': 'Cancelled',
  'status.arrived': 'Arrived',
  'status.completed': 'Completed',
  'status.no_show': 'Did not attend',
  'manage.deadline': 'Changes are possible until {when}.',
  'manage.locked': 'The appointment can no longer be changed online. Please call the practice.',
  'manage.cancel': 'Cancel appointment',
  'manage.cancel.confirm': 'Do you really want to cancel the appointment on {when}?',
  'manage.cancel.yes': 'Yes, cancel',
  'manage.cancel.no': 'No, keep it',
  'manage.cancelled': 'The appointment is cancelled.',
  'manage.reschedule': 'Move appointment',
  'manage.reschedule.pick': 'Choose a new time',
  'manage.reschedule.to': 'Move to {when}',
  'manage.moved': 'The appointment has been moved.',
  'error.slot_taken': 'This time was just taken. Please choose another – here are the next free times:',
  'error.rate_limited': 'Too many requests. Please wait {n} seconds and try again.',
  'error.network': 'Cannot reach the practice. Please check your internet connection.',
  'error.server': 'Something went wrong. Please try again later (error number {id}).',
  'error.fields': 'Please check the marked entries.',
  'error.not_found': 'Not found.',
  'calendar.summary': 'Appointment: {type}',
  'staff.title': 'praxis – practice management',
  'staff.login': 'Sign in',
  'staff.email': 'E-mail address',
  'staff.password': 'Password',
  'staff.password.repeat': 'Repeat password',
  'staff.password.hint': 'At least 12 characters; a sentence only you know is easy to remember.',
  'staff.password.mismatch': 'The two passwords differ.',
  'staff.totp': 'Code from the authenticator app',
  'staff.totp.hint': '6 digits, new every 30 seconds',
  'staff.recovery': 'Recovery code',
  'staff.use_recovery': 'Lost your phone? Sign in with a recovery code',
  'staff.use_totp': 'Sign in with a code from the app',
  'staff.logging_in': 'Signing in …',
  'staff.logout': 'Sign out',
  'staff.logged_out': 'You are signed out.',
  'staff.idle_logged_out': 'You were signed out automatically after a while without activity.',
  'staff.signed_in_as': 'Signed in as {name} ({role})',
  'staff.recovery_left': 'You used a recovery code; {n} are left. Set up the app again if needed.',
  'enrol.title': 'Set up your account',
  'enrol.missing': 'The set-up link is incomplete. Please open it exactly as you received it.',
  'enrol.step1': 'Choose your password.',
  'enrol.continue': 'Continue',
  'enrol.step2': 'Scan the QR code with an authenticator app (e.g. FreeOTP, Aegis, Google or Microsoft Authenticator).',
  'enrol.qr': 'QR code for the authenticator app',
  'enrol.secret': 'Or enter this key in the app:',
  'enrol.codes': 'Your recovery codes – each works once, should you lose your phone. Print them or write them down:',
  'enrol.codes.saved': 'I have stored the recovery codes safely.',
  'enrol.confirm': 'Finish set-up',
  'enrol.done': 'Your account is ready. Sign in now.',
  'idle.title': 'Automatic sign-out',
  'idle.text': 'You have been inactive for a while. To protect patient data you will be signed out in {n} seconds.',
  'idle.stay': 'Stay signed in',
  'search.label': 'Find a patient',
  'search.hint': 'Name, birth date (12.03.1980), phone, e-mail or KVNR – also combined',
  'search.none': 'No patients found.',
  'search.more': 'Show more',
  'role.owner': 'Owner',
  'role.physician': 'Physician',
  'role.assistant': 'Medical assistant',
  'role.reception': 'Reception',
  'role.auditor': 'Auditor',
};

const catalogues: Record<Lang, Catalogue> = { de, en };
const storageKey = 'praxis.lang';
const listeners = new Set<() => void>();

function initialLang(): Lang {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl === 'de' || fromUrl === 'en') return fromUrl;
  try {
    const stored = localStorage.getItem(storageKey);
    if (stored === 'de' || stored === 'en') return stored;
  } catch {
    // storage may be blocked (private mode, third-party frame): German by default
  }
  return 'de';
}

let current: Lang = initialLang();
document.documentElement.lang = current;

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(storageKey, next);
  } catch {
    // not remembered; still switched for this page
  }
  for (const listener of listeners) listener();
}

// The message `key` in the current language, with {name} placeholders filled.
export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = catalogues[current][key] ?? catalogues.de[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

// Re-renders its host when the language changes.
export class LanguageController implements ReactiveController {
  private readonly update = () => this.host.requestUpdate();
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    listeners.add(this.update);
  }
  hostDisconnected(): void {
    listeners.delete(this.update);
  }
}

// The server's texts read "Deutsch. / English."; this picks the current language's half.
export function pickLanguage(text: string): string {
  const parts = text.split(' / ');
  if (parts.length !== 2) return text;
  return current === 'de' ? parts[0] : parts[1];
}
