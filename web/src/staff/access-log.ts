// "Who looked at my data?" (issue #8's access report) for one patient: who, when, what,
// why, as staff show it to a patient; also as CSV for an Art. 15 request.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

import { ApiError, api, asApiError } from '../shared/api';
import { formatDateTime } from '../shared/format';
import { LanguageController, t, tOr } from '../shared/i18n';
import { base } from '../shared/styles';

interface Entry {
  index: number;
  at: string;
  actor: { kind: string; id: string; role: string; name: string };
  action: string;
  purpose: string;
  outcome: string;
  break_glass: boolean;
}

@customElement('praxis-access-log')
export class AccessLog extends LitElement {
  static styles = [
    base,
    css`
      table { border-collapse: collapse; width: 100%; }
      th, td { border-bottom: 1px solid #d5dbe1; padding: 0.35rem 0.5rem; text-align: left; }
      .flag { color: var(--danger); font-weight: 600; }
    `,
  ];

  @property({ attribute: 'patient-id' }) patientId = '';
  @state() private entries: Entry[] | undefined;
  @state() private error: ApiError | undefined;

  constructor() {
    super();
    new LanguageController(this);
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('patientId') && this.patientId) void this.load();
  }

  private async load(): Promise<void> {
    try {
      const page = await api<{ entries: Entry[] }>('GET', `/api/v1/patients/${this.patientId}/access-log?limit=200`);
      this.entries = page.entries;
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  render() {
    if (this.error) return html`<div class="alert error" role="alert">${this.error.text()}</div>`;
    if (!this.entries) return html`<p aria-live="polite">${t('loading')}</p>`;
    return html`
      <h2>${t('access.title')}</h2>
      <p><a href=${`/api/v1/patients/${this.patientId}/access-log?format=csv`} download="zugriffe.csv">${t('access.csv')}</a></p>
      <table>
        <caption class="sr-only">${t('access.title')}</caption>
        <thead><tr><th scope="col">${t('access.when')}</th><th scope="col">${t('access.who')}</th><th scope="col">${t('access.what')}</th><th scope="col">${t('access.why')}</th></tr></thead>
        <tbody>
          ${this.entries.map(
            (e) => html`<tr>
              <td>${formatDateTime(e.at)}</td>
              <td>${e.actor.name || e.actor.kind}${e.actor.role ? ` (${t(`role.${e.actor.role}`)})` : ''}</td>
              <td>${tOr(`access.action.${e.action}`, e.action)}${e.outcome !== 'success' ? ` – ${e.outcome}` : ''}</td>
              <td>${tOr(`access.purpose.${e.purpose}`, e.purpose)}${e.break_glass ? html` <span class="flag">${t('access.break_glass')}</span>` : nothing}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-access-log': AccessLog;
  }
}
