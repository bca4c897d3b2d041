// New online bookings to look at (issue #10): what the booker typed, the appointment,
// and two ways to settle each one: confirm it (the booker's record stays as created),
// or, when the booker is in fact a known patient, merge the new record into theirs
// (appointments and history move; nothing is lost) and confirm.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

import { ApiError, api, asApiError } from '../shared/api';
import { formatDate, formatDateTime } from '../shared/format';
import { LanguageController, t } from '../shared/i18n';
import { base } from '../shared/styles';
import type { PatientHit } from './model';
import { searchPatients } from './patients';

export interface PendingBooking {
  id: string;
  appointment_id: string;
  patient_id: string | null;
  new_patient_record: boolean;
  practitioner_id: string;
  type_id: string;
  start: string;
  status: string;
  entered: {
    family_name?: string;
    given_names?: string;
    birth_date?: string;
    phone?: string;
    email?: string;
    message?: string;
    insurance_kind?: string;
  };
  created_at: string;
}


@customElement('praxis-inbox')
export class Inbox extends LitElement {
  static styles = [
    base,
    css`
      article { margin-bottom: 1rem; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0 0 0.75rem; }
      dt { font-weight: 600; }
      dd { margin: 0; }
      .results { list-style: none; padding: 0; }
      .results button { width: 100%; text-align: left; background: #fff; color: var(--text); border: 1px solid var(--border); margin-bottom: 0.25rem; }
    `,
  ];

  @property({ attribute: false }) bookings: PendingBooking[] = [];
  @property({ attribute: false }) csrf: Record<string, string> = {};
  @property({ type: Boolean, attribute: 'can-merge' }) canMerge = false;

  @state() private merging: PendingBooking | undefined;
  @state() private candidates: PatientHit[] = [];
  @state() private error: ApiError | undefined;
  @state() private notice = '';
  @state() private busy = false;

  constructor() {
    super();
    new LanguageController(this);
  }

  private changed(): void {
    this.dispatchEvent(new CustomEvent('inbox-changed', { bubbles: true, composed: true }));
  }

  private async confirm(b: PendingBooking): Promise<void> {
    this.busy = true;
    try {
      await api('POST', `/api/v1/online-bookings/${b.id}/review`, {}, this.csrf);
      this.notice = t('inbox.confirmed', { when: formatDateTime(b.start) });
      this.error = undefined;
      this.changed();
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
    }
  }

  // Known patients who could be the booker: those born on the same day (a misspelt
  // name would hide them from a name search; the birth date rarely is wrong).
  private async findCandidates(b: PendingBooking): Promise<void> {
    this.merging = b;
    this.candidates = [];
    const q = formatDate(b.entered.birth_date ?? '');
    try {
      const page = await searchPatients(q, 10);
      this.candidates = page.patients.filter((p) => p.id !== b.patient_id);
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  private async merge(b: PendingBooking, into: PatientHit): Promise<void> {
    if (!b.patient_id) return;
    this.busy = true;
    try {
      await api('POST', `/api/v1/patients/${into.id}/merge`, { other: b.patient_id }, this.csrf);
      await api('POST', `/api/v1/online-bookings/${b.id}/review`, {}, this.csrf);
      this.notice = t('inbox.merged', { name: `${into.family_name}, ${into.given_names}` });
      this.merging = undefined;
      this.error = undefined;
      this.changed();
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
    }
  }

  render() {
    return html`
      <h2>${t('inbox.title')}</h2>
      ${this.notice ? html`<div class="alert ok" role="status">${this.notice}</div>` : nothing}
      ${this.error ? html`<div class="alert error" role="alert">${this.error.text()}</div>` : nothing}
      ${this.bookings.length === 0 ? html`<p>${t('inbox.empty')}</p>` : nothing}
      ${this.bookings.map((b) => this.renderBooking(b))}
    `;
  }

  private renderBooking(b: PendingBooking) {
    const e = b.entered;
    return html`<article class="card" data-booking=${b.id}>
      <h3>${e.family_name}, ${e.given_names} – ${formatDateTime(b.start)}</h3>
      <dl>
        <dt>${t('field.birth_date')}</dt><dd>${formatDate(e.birth_date ?? '')}</dd>
        ${e.phone ? html`<dt>${t('field.phone')}</dt><dd>${e.phone}</dd>` : nothing}
        ${e.email ? html`<dt>${t('field.email')}</dt><dd>${e.email}</dd>` : nothing}
        ${e.insurance_kind ? html`<dt>${t('field.insurance_kind')}</dt><dd>${t(`insurance.${e.insurance_kind}`)}</dd>` : nothing}
        ${e.message ? html`<dt>${t('inbox.message')}</dt><dd>${e.message}</dd>` : nothing}
        <dt>${t('manage.status')}</dt><dd>${t(`status.${b.status}`)}${b.new_patient_record ? ` · ${t('inbox.new_record')}` : ''}</dd>
      </dl>
      <div class="row">
        <button ?disabled=${this.busy} @click=${() => this.confirm(b)}>${t('inbox.confirm')}</button>
        ${this.canMerge && b.new_patient_record && b.patient_id
          ? html`<button class="secondary" ?disabled=${this.busy} @click=${() => this.findCandidates(b)}>${t('inbox.merge')}</button>`
          : nothing}
      </div>
      ${this.merging?.id === b.id
        ? html`<h4>${t('inbox.merge.pick')}</h4>
            ${this.candidates.length === 0
              ? html`<p>${t('search.none')}</p>`
              : html`<ul class="results">
                  ${this.candidates.map(
                    (p) => html`<li><button ?disabled=${this.busy} @click=${() => this.merge(b, p)}>
                      ${p.family_name}, ${p.given_names} · ${formatDate(p.birth_date)}
                    </button></li>`,
                  )}
                </ul>`}`
        : nothing}
    </article>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-inbox': Inbox;
  }
}
