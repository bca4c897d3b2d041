// Settings for owners (issue #10): appointment types, working plans, absences, the team
// and its invitations, and the booking rules (including the sites that may embed the
// booking widget). Every change goes through the same API as any client, with If-Match
// where the API versions a document.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

import { ApiError, api } from '../shared/api';
import { formatDateTime } from '../shared/format';
import { LanguageController, lang, t } from '../shared/i18n';
import { base } from '../shared/styles';
import type { AppointmentType, ConfigItem } from './model';



interface PlanRule {
  weekday: string;
  intervals: [string, string][];
  valid_from?: string;
  valid_to?: string;
}

interface Absence {
  id: string;
  practitioner_id: string;
  start: string;
  end: string;
}

interface User {
  id: string;
  email: string;
  display_name: string;
  role: string;
  status: string;
  second_factor: boolean;
}

type Tab = 'types' | 'plans' | 'absences' | 'team' | 'rules';
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const roles = ['owner', 'physician', 'assistant', 'reception', 'auditor'];

function versionHeader(version: number): Record<string, string> {
  return version > 0 ? { 'If-Match': `"${version}"` } : {};
}

// "08:00-12:00, 14:00-18:00" ⇄ [["08:00","12:00"],["14:00","18:00"]]
function spansText(spans: [string, string][]): string {
  return spans.map(([a, b]) => `${a}-${b}`).join(', ');
}

function parseSpans(text: string): [string, string][] | undefined {
  const out: [string, string][] = [];
  for (const part of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(part);
    if (!m) return undefined;
    out.push([m[1].padStart(5, '0'), m[2].padStart(5, '0')]);
  }
  return out;
}

@customElement('praxis-settings')
export class Settings extends LitElement {
  static styles = [
    base,
    css`
      .tabs { list-style: none; display: flex; gap: 0.5rem; padding: 0; margin: 0 0 1rem; flex-wrap: wrap; }
      table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
      th, td { border-bottom: 1px solid #d5dbe1; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
      .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1rem; }
      @media (max-width: 40rem) { .grid { grid-template-columns: 1fr; } }
      fieldset { border: 1px solid var(--border); border-radius: var(--radius); margin: 0 0 1rem; }
      .check { display: flex; gap: 0.5rem; align-items: center; font-weight: normal; }
      .link-box { word-break: break-all; background: var(--accent-soft); padding: 0.5rem; border-radius: var(--radius); }
      input[type='number'], input[type='datetime-local'] { font: inherit; padding: 0.45rem; border: 1px solid var(--border); border-radius: var(--radius); }
    `,
  ];

  @property({ attribute: false }) csrf: Record<string, string> = {};

  @state() private tab: Tab = 'types';
  @state() private error: ApiError | undefined;
  @state() private notice = '';
  @state() private practitioners: ConfigItem[] = [];
  @state() private types: AppointmentType[] = [];
  @state() private editing: Partial<AppointmentType> | undefined;
  @state() private planFor = '';
  @state() private plan: { version: number; rules: PlanRule[] } | undefined;
  @state() private planText: Record<string, string> = {};
  @state() private absences: Absence[] = [];
  @state() private users: User[] = [];
  @state() private link = '';
  @state() private rules: Record<string, unknown> | undefined;
  @state() private rulesVersion = 0;

  constructor() {
    super();
    new LanguageController(this);
  }

  connectedCallback(): void {
    super.connectedCallback();
    void this.open('types');
  }

  // API errors are explained; anything else is a fault of this page, shown as such
  // (network failures arrive as ApiError with status 0).
  private fail(e: unknown): void {
    if (!(e instanceof ApiError)) console.error(e);
    this.error = e instanceof ApiError ? e : new ApiError(500, 'client', '');
    this.notice = '';
  }

  private done(message: string): void {
    this.notice = message;
    this.error = undefined;
  }

  private async open(tab: Tab): Promise<void> {
    this.tab = tab;
    this.error = undefined;
    this.notice = '';
    this.link = '';
    try {
      if (this.practitioners.length === 0) {
        const p = await api<{ practitioners: ConfigItem[] }>('GET', '/api/v1/practitioners');
        this.practitioners = p.practitioners.filter((x) => x.active);
        this.planFor = this.practitioners[0]?.id ?? '';
      }
      if (tab === 'types') await this.loadTypes();
      if (tab === 'plans') await this.loadPlan();
      if (tab === 'absences') await this.loadAbsences();
      if (tab === 'team') this.users = (await api<{ users: User[] }>('GET', '/api/v1/users')).users;
      if (tab === 'rules') await this.loadRules();
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- appointment types ----

  private async loadTypes(): Promise<void> {
    this.types = (await api<{ appointment_types: AppointmentType[] }>('GET', '/api/v1/appointment-types')).appointment_types;
  }

  private newType(): void {
    this.editing = {
      name_de: '', name_en: '', duration_minutes: 15, buffer_before_minutes: 0, buffer_after_minutes: 0,
      practitioners: this.practitioners.map((p) => p.id), online_bookable: true, new_patients: true,
      existing_patients: true, instructions_de: '', instructions_en: '',
    };
  }

  private async saveType(event: Event): Promise<void> {
    event.preventDefault();
    const e = this.editing;
    if (!e) return;
    const body = {
      name_de: e.name_de, name_en: e.name_en, duration_minutes: Number(e.duration_minutes),
      buffer_before_minutes: Number(e.buffer_before_minutes), buffer_after_minutes: Number(e.buffer_after_minutes),
      practitioners: e.practitioners, online_bookable: e.online_bookable, new_patients: e.new_patients,
      existing_patients: e.existing_patients, instructions_de: e.instructions_de, instructions_en: e.instructions_en,
    };
    try {
      if (e.id) {
        await api('PATCH', `/api/v1/appointment-types/${e.id}`, body, { ...this.csrf, ...versionHeader(e.version ?? 0) });
      } else {
        await api('POST', '/api/v1/appointment-types', body, this.csrf);
      }
      this.editing = undefined;
      await this.loadTypes();
      this.done(t('settings.saved'));
    } catch (err) {
      this.fail(err);
    }
  }

  private async setTypeActive(type: AppointmentType, active: boolean): Promise<void> {
    try {
      await api('PATCH', `/api/v1/appointment-types/${type.id}`, { active }, { ...this.csrf, ...versionHeader(type.version) });
      await this.loadTypes();
      this.done(t('settings.saved'));
    } catch (err) {
      this.fail(err);
    }
  }

  // ---- working plans ----

  private async loadPlan(): Promise<void> {
    if (!this.planFor) return;
    const plan = await api<{ version: number; rules: PlanRule[] }>('GET', `/api/v1/practitioners/${this.planFor}/working-plan`);
    this.plan = plan;
    const text: Record<string, string> = {};
    for (const d of weekdays) {
      text[d] = plan.rules
        .filter((r) => r.weekday === d && !r.valid_from && !r.valid_to)
        .map((r) => spansText(r.intervals))
        .join(', ');
    }
    this.planText = text;
  }

  private async savePlan(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.plan) return;
    // Rules limited to a period are kept as they are; the form edits the weekly ones.
    const rules: PlanRule[] = this.plan.rules.filter((r) => r.valid_from || r.valid_to);
    for (const d of weekdays) {
      const spans = parseSpans(this.planText[d] ?? '');
      if (!spans) {
        this.error = new ApiError(400, 'plan', '', [{ field: d, code: 'invalid', message: t('settings.plan.format') }]);
        return;
      }
      if (spans.length > 0) rules.push({ weekday: d, intervals: spans });
    }
    try {
      await api('PUT', `/api/v1/practitioners/${this.planFor}/working-plan`, { rules }, { ...this.csrf, ...versionHeader(this.plan.version) });
      await this.loadPlan();
      this.done(t('settings.saved'));
    } catch (err) {
      this.fail(err);
    }
  }

  // ---- absences ----

  private async loadAbsences(): Promise<void> {
    // From the start of today (whole seconds, as the API takes instants) for a year.
    const from = new Date();
    from.setHours(0, 0, 0, 0);
    const to = new Date(from.getTime() + 366 * 86400000);
    const answer = await api<{ absences: Absence[] }>('GET', `/api/v1/absences?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })}`);
    this.absences = answer.absences;
  }

  private async addAbsence(event: Event): Promise<void> {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    const start = new Date(String(form.get('start')));
    const end = new Date(String(form.get('end')));
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
      this.error = new ApiError(400, 'absence', '', [{ field: 'start', code: 'invalid', message: t('settings.absence.invalid') }]);
      return;
    }
    try {
      await api('POST', '/api/v1/absences', { practitioner_id: String(form.get('practitioner')), start: start.toISOString(), end: end.toISOString() }, this.csrf);
      formElement.reset();
      await this.loadAbsences();
      this.done(t('settings.saved'));
    } catch (err) {
      this.fail(err);
    }
  }

  private async removeAbsence(a: Absence): Promise<void> {
    try {
      await api('DELETE', `/api/v1/absences/${a.id}`, undefined, this.csrf);
      await this.loadAbsences();
      this.done(t('settings.removed'));
    } catch (err) {
      this.fail(err);
    }
  }

  // ---- team ----

  private async invite(event: Event): Promise<void> {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    try {
      const answer = await api<{ enrolment_url: string }>('POST', '/api/v1/users', {
        email: String(form.get('email')), display_name: String(form.get('name')), role: String(form.get('role')),
      }, this.csrf);
      formElement.reset();
      this.users = (await api<{ users: User[] }>('GET', '/api/v1/users')).users;
      this.link = answer.enrolment_url;
      this.done(t('settings.team.invited'));
    } catch (err) {
      this.fail(err);
    }
  }

  private async reissue(user: User): Promise<void> {
    try {
      const answer = await api<{ enrolment_url: string }>('POST', `/api/v1/users/${user.id}/enrolment`, {}, this.csrf);
      this.link = answer.enrolment_url;
      this.done(t('settings.team.reissued', { email: user.email }));
    } catch (err) {
      this.fail(err);
    }
  }

  // ---- booking rules ----

  private async loadRules(): Promise<void> {
    const answer = await api<Record<string, unknown>>('GET', '/api/v1/booking-rules');
    const { id: _id, active: _active, version, created_at: _c, updated_at: _u, warnings: _w, ...doc } = answer;
    this.rules = doc;
    this.rulesVersion = Number(version);
  }

  private async saveRules(event: Event): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const body = {
      ...this.rules,
      horizon_days: Number(form.get('horizon_days')),
      min_notice_minutes: Number(form.get('min_notice_minutes')),
      cancellation_deadline_hours: Number(form.get('cancellation_deadline_hours')),
      grid_minutes: Number(form.get('grid_minutes')),
      max_future_online_bookings: Number(form.get('max_future_online_bookings')),
      embed_origins: String(form.get('embed_origins') ?? '').split(/\s+/).filter(Boolean),
    };
    try {
      await api('PUT', '/api/v1/booking-rules', body, { ...this.csrf, ...versionHeader(this.rulesVersion) });
      await this.loadRules();
      this.done(t('settings.saved'));
    } catch (err) {
      this.fail(err);
    }
  }

  // ---- rendering ----

  render() {
    const tabs: [Tab, string][] = [
      ['types', t('settings.types')], ['plans', t('settings.plans')], ['absences', t('settings.absences')],
      ['team', t('settings.team')], ['rules', t('settings.rules')],
    ];
    return html`
      <h2>${t('nav.settings')}</h2>
      <ul class="tabs" role="list">
        ${tabs.map(([id, label]) => html`<li><button class=${this.tab === id ? '' : 'secondary'} aria-current=${this.tab === id ? 'page' : 'false'} @click=${() => this.open(id)}>${label}</button></li>`)}
      </ul>
      ${this.notice ? html`<div class="alert ok" role="status">${this.notice}</div>` : nothing}
      ${this.error ? html`<div class="alert error" role="alert">${this.error.text()}
          ${this.error.fields.length ? html`<ul>${this.error.fields.map((f) => html`<li>${f.field}: ${this.error!.fieldText(f.field)}</li>`)}</ul>` : nothing}</div>` : nothing}
      ${this.link ? html`<p>${t('settings.team.link')}</p><p class="link-box" data-link>${this.link}</p>` : nothing}
      ${this.renderTab()}
    `;
  }

  private renderTab() {
    switch (this.tab) {
      case 'types': return this.renderTypes();
      case 'plans': return this.renderPlans();
      case 'absences': return this.renderAbsences();
      case 'team': return this.renderTeam();
      case 'rules': return this.renderRules();
    }
  }

  private renderTypes() {
    const e = this.editing;
    const set = (patch: Partial<AppointmentType>) => (this.editing = { ...this.editing, ...patch });
    return html`
      <table>
        <caption class="sr-only">${t('settings.types')}</caption>
        <thead><tr><th scope="col">${t('settings.type.name')}</th><th scope="col">${t('settings.type.duration')}</th><th scope="col">${t('settings.type.online')}</th><th scope="col"><span class="sr-only">${t('settings.actions')}</span></th></tr></thead>
        <tbody>
          ${this.types.map((x) => html`<tr data-type=${x.id}>
            <td>${lang() === 'de' ? x.name_de : x.name_en || x.name_de}${x.active ? '' : ` (${t('settings.inactive')})`}</td>
            <td>${x.duration_minutes} min</td>
            <td>${x.online_bookable ? t('settings.yes') : t('settings.no')}</td>
            <td class="row">
              <button class="secondary" @click=${() => (this.editing = { ...x })}>${t('settings.edit')}</button>
              <button class="link" @click=${() => this.setTypeActive(x, !x.active)}>${x.active ? t('settings.deactivate') : t('settings.activate')}</button>
            </td>
          </tr>`)}
        </tbody>
      </table>
      ${e
        ? html`<form @submit=${this.saveType}>
            <h3>${e.id ? t('settings.type.edit') : t('settings.type.new')}</h3>
            <div class="grid">
              <div class="field"><label for="t-name_de">${t('settings.type.name_de')}</label><input id="t-name_de" type="text" required .value=${e.name_de ?? ''} @input=${(ev: Event) => set({ name_de: (ev.target as HTMLInputElement).value })} /></div>
              <div class="field"><label for="t-name_en">${t('settings.type.name_en')}</label><input id="t-name_en" type="text" .value=${e.name_en ?? ''} @input=${(ev: Event) => set({ name_en: (ev.target as HTMLInputElement).value })} /></div>
              <div class="field"><label for="t-duration">${t('settings.type.duration')}</label><input id="t-duration" type="number" min="5" max="480" step="5" .value=${String(e.duration_minutes ?? 15)} @input=${(ev: Event) => set({ duration_minutes: Number((ev.target as HTMLInputElement).value) })} /></div>
              <div class="field"><label for="t-before">${t('settings.type.buffer_before')}</label><input id="t-before" type="number" min="0" max="120" .value=${String(e.buffer_before_minutes ?? 0)} @input=${(ev: Event) => set({ buffer_before_minutes: Number((ev.target as HTMLInputElement).value) })} /></div>
              <div class="field"><label for="t-after">${t('settings.type.buffer_after')}</label><input id="t-after" type="number" min="0" max="120" .value=${String(e.buffer_after_minutes ?? 0)} @input=${(ev: Event) => set({ buffer_after_minutes: Number((ev.target as HTMLInputElement).value) })} /></div>
            </div>
            <fieldset>
              <legend>${t('settings.type.practitioners')}</legend>
              ${this.practitioners.map((p) => html`<label class="check"><input type="checkbox" .checked=${(e.practitioners ?? []).includes(p.id)}
                @change=${(ev: Event) => set({ practitioners: (ev.target as HTMLInputElement).checked ? [...(e.practitioners ?? []), p.id] : (e.practitioners ?? []).filter((x) => x !== p.id) })} />${p.name}</label>`)}
            </fieldset>
            <fieldset>
              <legend>${t('settings.type.online')}</legend>
              <label class="check"><input type="checkbox" .checked=${Boolean(e.online_bookable)} @change=${(ev: Event) => set({ online_bookable: (ev.target as HTMLInputElement).checked })} />${t('settings.type.online_bookable')}</label>
              <label class="check"><input type="checkbox" .checked=${Boolean(e.new_patients)} @change=${(ev: Event) => set({ new_patients: (ev.target as HTMLInputElement).checked })} />${t('settings.type.new_patients')}</label>
              <label class="check"><input type="checkbox" .checked=${Boolean(e.existing_patients)} @change=${(ev: Event) => set({ existing_patients: (ev.target as HTMLInputElement).checked })} />${t('settings.type.existing_patients')}</label>
            </fieldset>
            <div class="field"><label for="t-instr">${t('settings.type.instructions_de')}</label><textarea id="t-instr" rows="2" .value=${e.instructions_de ?? ''} @input=${(ev: Event) => set({ instructions_de: (ev.target as HTMLTextAreaElement).value })}></textarea></div>
            <div class="field"><label for="t-instr-en">${t('settings.type.instructions_en')}</label><textarea id="t-instr-en" rows="2" .value=${e.instructions_en ?? ''} @input=${(ev: Event) => set({ instructions_en: (ev.target as HTMLTextAreaElement).value })}></textarea></div>
            <div class="row"><button type="submit">${t('patient.save')}</button><button type="button" class="link" @click=${() => (this.editing = undefined)}>${t('calendar.close')}</button></div>
          </form>`
        : html`<button @click=${() => this.newType()}>${t('settings.type.new')}</button>`}
    `;
  }

  // The form appears once the practitioner's plan is loaded: typing into it earlier
  // would be overwritten when the plan arrives.
  private renderPlans() {
    const limited = (this.plan?.rules ?? []).filter((r) => r.valid_from || r.valid_to);
    return html`
      <div class="field">
        <label for="plan-practitioner">${t('practitioner.label')}</label>
        <select id="plan-practitioner" @change=${async (ev: Event) => { this.planFor = (ev.target as HTMLSelectElement).value; this.plan = undefined; await this.loadPlan(); }}>
          ${this.practitioners.map((p) => html`<option value=${p.id} ?selected=${p.id === this.planFor}>${p.name}</option>`)}
        </select>
      </div>
      ${this.plan === undefined ? html`<p class="hint" role="status">${t('loading')}</p>` : html`<form @submit=${this.savePlan}>
        <p class="hint">${t('settings.plan.hint')}</p>
        <div class="grid">
          ${weekdays.map((d) => html`<div class="field">
            <label for=${`plan-${d}`}>${t(`weekday.${d}`)}</label>
            <input id=${`plan-${d}`} type="text" placeholder="08:00-12:00, 14:00-18:00" .value=${this.planText[d] ?? ''}
              aria-invalid=${this.error?.fields.some((f) => f.field === d) ? 'true' : 'false'}
              @input=${(ev: Event) => (this.planText = { ...this.planText, [d]: (ev.target as HTMLInputElement).value })} />
          </div>`)}
        </div>
        ${limited.length ? html`<p class="hint">${t('settings.plan.limited', { n: limited.length })}</p>` : nothing}
        <button type="submit">${t('patient.save')}</button>
      </form>`}
    `;
  }

  private renderAbsences() {
    const name = (id: string) => this.practitioners.find((p) => p.id === id)?.name ?? '';
    return html`
      <table>
        <caption class="sr-only">${t('settings.absences')}</caption>
        <thead><tr><th scope="col">${t('practitioner.label')}</th><th scope="col">${t('settings.absence.from')}</th><th scope="col">${t('settings.absence.to')}</th><th scope="col"><span class="sr-only">${t('settings.actions')}</span></th></tr></thead>
        <tbody>
          ${this.absences.length === 0 ? html`<tr><td colspan="4">${t('settings.absence.none')}</td></tr>` : nothing}
          ${this.absences.map((a) => html`<tr data-absence=${a.id}><td>${name(a.practitioner_id)}</td><td>${formatDateTime(a.start)}</td><td>${formatDateTime(a.end)}</td>
            <td><button class="link" @click=${() => this.removeAbsence(a)}>${t('settings.remove')}</button></td></tr>`)}
        </tbody>
      </table>
      <form @submit=${this.addAbsence}>
        <h3>${t('settings.absence.new')}</h3>
        <div class="grid">
          <div class="field"><label for="abs-practitioner">${t('practitioner.label')}</label>
            <select id="abs-practitioner" name="practitioner">${this.practitioners.map((p) => html`<option value=${p.id}>${p.name}</option>`)}</select></div>
          <div></div>
          <div class="field"><label for="abs-start">${t('settings.absence.from')}</label><input id="abs-start" name="start" type="datetime-local" required /></div>
          <div class="field"><label for="abs-end">${t('settings.absence.to')}</label><input id="abs-end" name="end" type="datetime-local" required /></div>
        </div>
        <button type="submit">${t('settings.absence.add')}</button>
      </form>
    `;
  }

  private renderTeam() {
    return html`
      <table>
        <caption class="sr-only">${t('settings.team')}</caption>
        <thead><tr><th scope="col">${t('settings.team.name')}</th><th scope="col">${t('staff.email')}</th><th scope="col">${t('settings.team.role')}</th><th scope="col">${t('manage.status')}</th><th scope="col"><span class="sr-only">${t('settings.actions')}</span></th></tr></thead>
        <tbody>
          ${this.users.map((u) => html`<tr data-user=${u.id}><td>${u.display_name}</td><td>${u.email}</td><td>${t(`role.${u.role}`)}</td>
            <td>${u.status === 'active' && u.second_factor ? t('settings.team.active') : t('settings.team.pending')}</td>
            <td><button class="link" @click=${() => this.reissue(u)}>${t('settings.team.reissue')}</button></td></tr>`)}
        </tbody>
      </table>
      <form @submit=${this.invite}>
        <h3>${t('settings.team.invite')}</h3>
        <div class="grid">
          <div class="field"><label for="inv-name">${t('settings.team.name')}</label><input id="inv-name" name="name" type="text" autocomplete="off" /></div>
          <div class="field"><label for="inv-email">${t('staff.email')}</label><input id="inv-email" name="email" type="email" autocomplete="off" required /></div>
          <div class="field"><label for="inv-role">${t('settings.team.role')}</label>
            <select id="inv-role" name="role">${roles.map((r) => html`<option value=${r} ?selected=${r === 'assistant'}>${t(`role.${r}`)}</option>`)}</select></div>
        </div>
        <button type="submit">${t('settings.team.send')}</button>
      </form>
    `;
  }

  private renderRules() {
    const r = this.rules;
    if (!r) return html`<p aria-live="polite">${t('loading')}</p>`;
    const number = (key: string, min: number, max: number) => html`<div class="field">
      <label for=${`rule-${key}`}>${t(`settings.rules.${key}`)}</label>
      <input id=${`rule-${key}`} name=${key} type="number" min=${min} max=${max} .value=${String(r[key] ?? '')} required />
    </div>`;
    return html`<form @submit=${this.saveRules}>
      <div class="grid">
        ${number('horizon_days', 1, 365)} ${number('min_notice_minutes', 0, 10080)}
        ${number('cancellation_deadline_hours', 0, 720)} ${number('grid_minutes', 5, 60)}
        ${number('max_future_online_bookings', 1, 20)}
      </div>
      <div class="field">
        <label for="rule-embed">${t('settings.rules.embed_origins')}</label>
        <textarea id="rule-embed" name="embed_origins" rows="3" aria-describedby="rule-embed-hint" .value=${((r.embed_origins as string[]) ?? []).join('\n')}></textarea>
        <div class="hint" id="rule-embed-hint">${t('settings.rules.embed_hint')}</div>
      </div>
      <button type="submit">${t('patient.save')}</button>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-settings': Settings;
  }
}
