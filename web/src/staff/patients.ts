// Patients in the staff app: a cache of the names the calendar and inbox show (each
// read is one GET, recorded in the audit trail like any other), and the patient view
// with editing under optimistic concurrency: the version read is sent as If-Match, and
// when someone else saved first (412) the user sees both versions and decides.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

import { ApiError, api, asApiError } from '../shared/api';
import { formatDate, formatDateTime, parseGermanDate } from '../shared/format';
import { LanguageController, t } from '../shared/i18n';
import { base } from '../shared/styles';
import type { PatientHit } from './model';

export interface PatientRecord {
  id: string;
  family_name?: string;
  given_names?: string;
  birth_date?: string;
  phones?: { kind: string; number: string }[];
  email?: string;
  address?: { street?: string; postcode?: string; city?: string; country?: string };
  insurance?: { kind?: string; insurer_name?: string; ik?: string; kvnr?: string };
  note?: string;
  status: string;
  version: number;
  masked?: boolean;
  warnings?: { field: string; code: string; message: string }[];
  updated_at?: string;
}

const concurrency = 6;

export interface SearchPage {
  patients: PatientHit[];
  next_cursor: string | null;
}

// The one-box search (each patient shown is recorded in the audit trail).
export function searchPatients(q: string, limit: number, cursor?: string | null): Promise<SearchPage> {
  const params = new URLSearchParams({ q: q.trim(), limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  return api<SearchPage>('GET', `/api/v1/patients?${params}`);
}

export class PatientNames {
  private readonly cache = new Map<string, PatientRecord>();

  async load(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.cache.has(id));
    for (let i = 0; i < missing.length; i += concurrency) {
      await Promise.all(
        missing.slice(i, i + concurrency).map(async (id) => {
          try {
            this.cache.set(id, await api<PatientRecord>('GET', `/api/v1/patients/${id}`));
          } catch {
            // not readable (deleted, or the role may not read it): shown without a name
          }
        }),
      );
    }
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  short(id: string): string {
    const p = this.cache.get(id);
    if (!p) return '';
    if (p.masked) return t('patient.restricted');
    return `${p.family_name ?? ''}, ${(p.given_names ?? '').split(' ')[0]}`;
  }

  full(id: string): string {
    const p = this.cache.get(id);
    if (!p) return '–';
    if (p.masked) return t('patient.restricted');
    return `${p.family_name ?? ''}, ${p.given_names ?? ''} (${formatDate(p.birth_date ?? '')})`;
  }
}

interface Draft {
  family_name: string;
  given_names: string;
  birth_date: string;
  phone: string;
  email: string;
  street: string;
  postcode: string;
  city: string;
  insurance_kind: string;
  kvnr: string;
  note: string;
}

function draftOf(p: PatientRecord): Draft {
  return {
    family_name: p.family_name ?? '',
    given_names: p.given_names ?? '',
    birth_date: formatDate(p.birth_date ?? ''),
    phone: p.phones?.[0]?.number ?? '',
    email: p.email ?? '',
    street: p.address?.street ?? '',
    postcode: p.address?.postcode ?? '',
    city: p.address?.city ?? '',
    insurance_kind: p.insurance?.kind ?? '',
    kvnr: p.insurance?.kvnr ?? '',
    note: p.note ?? '',
  };
}

const fieldNames: (keyof Draft)[] = [
  'family_name', 'given_names', 'birth_date', 'phone', 'email', 'street', 'postcode', 'city',
  'insurance_kind', 'kvnr', 'note',
];

// The API field an error names → the form field.
function formField(apiField: string): keyof Draft | undefined {
  if (apiField.startsWith('phones')) return 'phone';
  if (apiField.startsWith('address.')) return apiField.slice(8) as keyof Draft;
  if (apiField === 'insurance.kind') return 'insurance_kind';
  if (apiField === 'insurance.kvnr') return 'kvnr';
  return fieldNames.includes(apiField as keyof Draft) ? (apiField as keyof Draft) : undefined;
}

@customElement('praxis-patient-view')
export class PatientView extends LitElement {
  static styles = [
    base,
    css`
      .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1rem; }
      @media (max-width: 40rem) { .grid { grid-template-columns: 1fr; } }
      .conflict table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
      .conflict th, .conflict td { border: 1px solid var(--border); padding: 0.3rem 0.5rem; text-align: left; }
      .warning { color: #7a4d00; }
    `,
  ];

  @property({ attribute: 'patient-id' }) patientId = '';
  @property({ attribute: false }) csrf: Record<string, string> = {};

  @state() private patient: PatientRecord | undefined;
  @state() private draft: Draft | undefined;
  @state() private error: ApiError | undefined;
  @state() private notice = '';
  @state() private conflict: PatientRecord | undefined;
  @state() private busy = false;

  constructor() {
    super();
    new LanguageController(this);
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('patientId') && this.patientId) void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.patient = await api<PatientRecord>('GET', `/api/v1/patients/${this.patientId}`);
      this.draft = draftOf(this.patient);
      this.conflict = undefined;
      this.error = undefined;
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  // Only what the user changed, as an RFC 7386 merge patch.
  private patch(base: PatientRecord, draft: Draft): Record<string, unknown> {
    const before = draftOf(base);
    const out: Record<string, unknown> = {};
    const changed = (k: keyof Draft) => draft[k].trim() !== before[k].trim();
    for (const k of ['family_name', 'given_names', 'email', 'note'] as const) {
      if (changed(k)) out[k] = draft[k].trim() || null;
    }
    if (changed('birth_date')) out.birth_date = parseGermanDate(draft.birth_date) ?? draft.birth_date;
    if (changed('phone')) out.phones = draft.phone.trim() ? [{ kind: base.phones?.[0]?.kind ?? 'mobile', number: draft.phone.trim() }] : [];
    if (changed('street') || changed('postcode') || changed('city')) {
      out.address = { ...(base.address ?? {}), street: draft.street.trim(), postcode: draft.postcode.trim(), city: draft.city.trim() };
    }
    if (changed('insurance_kind') || changed('kvnr')) {
      out.insurance = { ...(base.insurance ?? {}), kind: draft.insurance_kind || undefined, kvnr: draft.kvnr.trim() || undefined };
    }
    return out;
  }

  private async save(event?: Event): Promise<void> {
    event?.preventDefault();
    if (!this.patient || !this.draft) return;
    const body = this.patch(this.patient, this.draft);
    if (Object.keys(body).length === 0) {
      this.notice = t('patient.unchanged');
      return;
    }
    this.busy = true;
    this.notice = '';
    try {
      this.patient = await api<PatientRecord>('PATCH', `/api/v1/patients/${this.patient.id}`, body, {
        ...this.csrf,
        'If-Match': `"${this.patient.version}"`,
      });
      this.draft = draftOf(this.patient);
      this.conflict = undefined;
      this.error = undefined;
      this.notice = t('patient.saved');
      this.dispatchEvent(new CustomEvent('patient-changed', { detail: this.patient.id, bubbles: true, composed: true }));
    } catch (e) {
      const error = asApiError(e);
      if (error.status === 412) {
        // Someone saved in between: show theirs next to ours; nothing is overwritten.
        this.conflict = await api<PatientRecord>('GET', `/api/v1/patients/${this.patient.id}`);
        this.error = undefined;
      } else {
        this.error = error;
      }
    } finally {
      this.busy = false;
    }
  }

  // Keep my edits, on top of the version saved meanwhile (then save again).
  private reapply(): void {
    if (!this.conflict || !this.patient || !this.draft) return;
    const mine = this.patch(this.patient, this.draft);
    const merged = draftOf(this.conflict);
    for (const k of fieldNames) {
      const touched =
        (k === 'phone' && 'phones' in mine) ||
        ((k === 'street' || k === 'postcode' || k === 'city') && 'address' in mine) ||
        ((k === 'insurance_kind' || k === 'kvnr') && 'insurance' in mine) ||
        k in mine;
      if (touched) merged[k] = this.draft[k];
    }
    this.patient = this.conflict;
    this.draft = merged;
    this.conflict = undefined;
    this.notice = t('patient.reapplied');
  }

  private discard(): void {
    if (!this.conflict) return;
    this.patient = this.conflict;
    this.draft = draftOf(this.conflict);
    this.conflict = undefined;
    this.notice = t('patient.reloaded');
  }

  private input(key: keyof Draft, label: string, type = 'text', autocomplete = 'off') {
    const apiError = this.error?.fields.find((f) => formField(f.field) === key);
    return html`<div class="field">
      <label for=${`p-${key}`}>${label}</label>
      <input
        id=${`p-${key}`}
        type=${type}
        autocomplete=${autocomplete}
        aria-invalid=${apiError ? 'true' : 'false'}
        .value=${this.draft?.[key] ?? ''}
        @input=${(e: Event) => (this.draft = { ...this.draft!, [key]: (e.target as HTMLInputElement).value })}
      />
      ${apiError ? html`<div class="field-error">${this.error!.fieldText(apiError.field)}</div>` : nothing}
    </div>`;
  }

  render() {
    if (this.error && !this.patient) return html`<div class="alert error" role="alert">${this.error.text()}</div>`;
    if (!this.patient || !this.draft) return html`<p aria-live="polite">${t('loading')}</p>`;
    const p = this.patient;
    if (p.masked) return html`<div class="alert info">${t('patient.restricted')}</div>`;
    return html`
      <h2>${p.family_name}, ${p.given_names}</h2>
      <p class="hint">${t('patient.version', { n: p.version, when: formatDateTime(p.updated_at ?? '') })}</p>
      ${(p.warnings ?? []).map((w) => html`<p class="warning">⚠ ${w.field}: ${w.message}</p>`)}
      ${this.notice ? html`<div class="alert ok" role="status">${this.notice}</div>` : nothing}
      ${this.error ? html`<div class="alert error" role="alert">${this.error.text()}</div>` : nothing}
      ${this.conflict ? this.renderConflict() : nothing}
      <form @submit=${this.save}>
        <div class="grid">
          ${this.input('family_name', t('field.family_name'))} ${this.input('given_names', t('field.given_names'))}
          ${this.input('birth_date', `${t('field.birth_date')} (${t('field.birth_date.hint')})`)}
          ${this.input('phone', t('field.phone'), 'tel')} ${this.input('email', t('field.email'), 'email')}
          ${this.input('street', t('patient.street'))} ${this.input('postcode', t('patient.postcode'))}
          ${this.input('city', t('patient.city'))}
          <div class="field">
            <label for="p-insurance_kind">${t('field.insurance_kind')}</label>
            <select id="p-insurance_kind" @change=${(e: Event) => (this.draft = { ...this.draft!, insurance_kind: (e.target as HTMLSelectElement).value })}>
              <option value="" ?selected=${!this.draft.insurance_kind}>–</option>
              ${['GKV', 'PKV', 'self_pay', 'BG'].map(
                (k) => html`<option value=${k} ?selected=${this.draft!.insurance_kind === k}>${t(`insurance.${k}`)}</option>`,
              )}
            </select>
          </div>
          ${this.input('kvnr', t('patient.kvnr'))}
        </div>
        <div class="field">
          <label for="p-note">${t('patient.note')}</label>
          <textarea id="p-note" rows="3" .value=${this.draft.note} @input=${(e: Event) => (this.draft = { ...this.draft!, note: (e.target as HTMLTextAreaElement).value })}></textarea>
        </div>
        <div class="row">
          <button type="submit" ?disabled=${this.busy || Boolean(this.conflict)}>${t('patient.save')}</button>
          <button type="button" class="secondary" @click=${() => this.dispatchEvent(new CustomEvent('show-access-log', { detail: p.id, bubbles: true, composed: true }))}>
            ${t('patient.access_log')}
          </button>
        </div>
      </form>
    `;
  }

  private renderConflict() {
    const theirs = draftOf(this.conflict!);
    const mine = this.draft!;
    const differing = fieldNames.filter((k) => theirs[k].trim() !== mine[k].trim());
    return html`<section class="alert error conflict" role="alert" aria-labelledby="conflict-title">
      <h3 id="conflict-title">${t('patient.conflict.title')}</h3>
      <p>${t('patient.conflict.text', { n: this.conflict!.version })}</p>
      <table>
        <thead><tr><th>${t('patient.conflict.field')}</th><th>${t('patient.conflict.theirs')}</th><th>${t('patient.conflict.mine')}</th></tr></thead>
        <tbody>
          ${differing.map((k) => html`<tr><td>${t(`patient.field.${k}`)}</td><td>${theirs[k]}</td><td>${mine[k]}</td></tr>`)}
        </tbody>
      </table>
      <div class="row">
        <button type="button" @click=${() => this.reapply()}>${t('patient.conflict.keep_mine')}</button>
        <button type="button" class="secondary" @click=${() => this.discard()}>${t('patient.conflict.take_theirs')}</button>
      </div>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-patient-view': PatientView;
  }
}
