// The staff's help page (issue #10): first steps, backups, and what `praxis doctor`
// reports. German first; the English text follows the language switch.
import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';

import { LanguageController, lang } from '../shared/i18n';
import { base } from '../shared/styles';

@customElement('praxis-help')
export class Help extends LitElement {
  static styles = [base, css`section { max-width: 46rem; } h3 { margin-top: 1.5rem; } li { margin-bottom: 0.35rem; }`];

  constructor() {
    super();
    new LanguageController(this);
  }

  render() {
    return lang() === 'de' ? this.german() : this.english();
  }

  private german() {
    return html`<section>
      <h2>Hilfe</h2>
      <h3>Erste Schritte</h3>
      <ol>
        <li>Die Inhaberin oder der Inhaber richtet unter <em>Einstellungen</em> bzw. über die API
          Behandler, Terminarten, Arbeitszeiten und Buchungsregeln ein.</li>
        <li>Kolleginnen und Kollegen erhalten einen Einrichtungslink (72 Stunden gültig). Damit wählen
          sie ein Passwort, richten die Authenticator-App ein und bewahren die Wiederherstellungscodes auf.</li>
        <li>Patientinnen und Patienten buchen über <code>/book/&lt;Kürzel der Praxis&gt;</code> oder das
          Widget auf der Praxis-Website. Neue Online-Buchungen erscheinen unter <em>Online-Buchungen</em>
          und im Kalender mit gelbem Rand, bis jemand sie bestätigt.</li>
        <li>Im Kalender verschieben Sie Termine per Ziehen, ändern den Status per Klick und legen neue
          Termine per Klick auf eine freie Zeit an.</li>
        <li>Nach 15 Minuten ohne Eingabe meldet praxis Sie ab; eine Minute vorher erscheint ein Hinweis.</li>
      </ol>
      <h3>Datensicherung</h3>
      <p>praxis sichert jede Nacht automatisch, verschlüsselt, in das Verzeichnis <code>backups</code>.
        Zum Wiederherstellen braucht man den Wiederherstellungsschlüssel vom ausgedruckten Blatt, das bei
        der Einrichtung entstanden ist – bewahren Sie es getrennt vom Rechner auf (z. B. im Tresor).
        Kopieren Sie die Sicherungen regelmäßig auf ein zweites Medium außerhalb der Praxis.</p>
      <h3>Was der Praxis-Check (<code>praxis doctor</code>) bedeutet</h3>
      <ul>
        <li><strong>ok</strong>: alles in Ordnung.</li>
        <li><strong>warn</strong>: praxis läuft, aber etwas sollte erledigt werden – z. B. kein E-Mail-Versand
          eingerichtet (Patienten bekommen keine Bestätigungen), Sicherungen auf derselben Festplatte, eine
          alte Sicherung, nicht zugestellte Nachrichten.</li>
        <li><strong>fail</strong>: ein Sicherheitsproblem, z. B. zu offene Dateirechte, ein Zugang ohne zweiten
          Faktor, kein TLS an einer öffentlichen Adresse. praxis startet dann nicht, bis es behoben ist; die
          Meldung sagt, was zu tun ist.</li>
      </ul>
      <p>Bei Fragen zur Technik wenden Sie sich an die Person, die praxis bei Ihnen betreibt.</p>
    </section>`;
  }

  private english() {
    return html`<section>
      <h2>Help</h2>
      <h3>First steps</h3>
      <ol>
        <li>The owner sets up practitioners, appointment types, working hours and booking rules.</li>
        <li>Colleagues get a set-up link (valid 72 hours): they choose a password, set up the
          authenticator app and keep their recovery codes.</li>
        <li>Patients book at <code>/book/&lt;practice slug&gt;</code> or through the widget on the
          practice's web site. New online bookings appear under <em>Online bookings</em> and in the
          calendar with a yellow edge until someone confirms them.</li>
        <li>In the calendar, drag an appointment to move it, click it to change its status, click a free
          time to book.</li>
        <li>After 15 minutes without input praxis signs you out; a notice appears a minute before.</li>
      </ol>
      <h3>Backups</h3>
      <p>praxis backs up every night, encrypted, to the <code>backups</code> directory. A restore needs the
        recovery key from the printed sheet made at set-up – keep it away from the computer (e.g. in a safe).
        Copy the backups to a second medium outside the practice regularly.</p>
      <h3>What the practice check (<code>praxis doctor</code>) means</h3>
      <ul>
        <li><strong>ok</strong>: all is well.</li>
        <li><strong>warn</strong>: praxis runs, but something needs doing – e.g. no e-mail set up, backups on
          the same disk, an old backup, messages that could not be delivered.</li>
        <li><strong>fail</strong>: a security problem, e.g. files readable by others, an account without a
          second factor, no TLS on a public address. praxis does not start until it is fixed; the message
          says how.</li>
      </ul>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-help': Help;
  }
}
