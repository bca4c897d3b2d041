// The practice calendar (issue #10): day and week per practitioner, FullCalendar's MIT
// packages. Drag an appointment to move it (If-Match: a stale version is refused and
// the calendar reloads), click one to change its status or cancel it, click a free
// time to book. New online bookings that nobody has reviewed yet are highlighted.
import { Calendar } from '@fullcalendar/core';
import type { EventDropArg, EventInput } from '@fullcalendar/core';
import deLocale from '@fullcalendar/core/locales/de';
import enLocale from '@fullcalendar/core/locales/en-gb';
import interactionPlugin from '@fullcalendar/interaction';
import type { DateClickArg } from '@fullcalendar/interaction';
import timeGridPlugin from '@fullcalendar/timegrid';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';

import { ApiError, api, asApiError } from '../shared/api';
import { formatDateTime, formatDate } from '../shared/format';
import { LanguageController, lang, t } from '../shared/i18n';
import { base } from '../shared/styles';
import type { AppointmentType, ConfigItem, PatientHit } from './model';
import { PatientNames, searchPatients } from './patients';

export interface Appointment {
  id: string;
  practitioner_id: string;
  type_id: string;
  patient_id: string | null;
  start: string;
  end: string;
  status: string;
  source: string;
  resources: string[];
  version: number;
}





// "2026-12-07T09:30" for <input type="datetime-local">, in the computer's zone like
// the calendar itself.
function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const palette = ['#0b5c8a', '#7a3e9d', '#1e6b34', '#9a4a00', '#8a1538', '#2f4f6f'];

@customElement('praxis-calendar')
export class PraxisCalendar extends LitElement {
  static styles = [
    base,
    css`
      .toolbar { display: flex; gap: 1rem; align-items: end; flex-wrap: wrap; margin-bottom: 0.75rem; }
      .toolbar .field { margin: 0; min-width: 14rem; }
      #calendar { min-height: 40rem; }
      dialog { border: 2px solid var(--accent); border-radius: var(--radius); width: min(32rem, 92vw); }
      dialog::backdrop { background: rgba(0, 0, 0, 0.4); }
      .results { list-style: none; padding: 0; margin: 0.25rem 0 0.75rem; max-height: 12rem; overflow: auto; }
      .results button { width: 100%; text-align: left; background: #fff; color: var(--text); border: 1px solid var(--border); margin-bottom: 0.25rem; }
      .results button[aria-pressed='true'] { background: var(--accent-soft); border: 2px solid var(--accent); }
      .legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: 0.9rem; color: var(--muted); }
      .legend .new { border-left: 6px solid #f0a500; padding-left: 0.4rem; }
      .fc .online-new { border-left: 6px solid #f0a500 !important; box-shadow: 0 0 0 2px #f0a500 inset; }
      .fc .status-arrived { opacity: 0.85; }
      .fc .status-fulfilled, .fc .status-noshow { opacity: 0.55; }
      .fc .fc-event-title { font-weight: 600; }
      .fc .fc-button-primary { background: var(--accent); border-color: var(--accent); }
      .fc .fc-button-primary:not(:disabled).fc-button-active { background: var(--accent-dark); border-color: var(--accent-dark); }
      .fc .fc-col-header-cell-cushion, .fc .fc-timegrid-slot-label-cushion { color: var(--text); }
      .fc a { color: inherit; }
      .fc .fc-button:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
    `,
  ];

  // Online bookings staff have not reviewed yet (the inbox), to highlight.
  @property({ attribute: false }) unreviewed = new Set<string>();
  @property({ attribute: false }) csrf: Record<string, string> = {};
  @property({ attribute: false }) names!: PatientNames;

  @state() private practitioners: ConfigItem[] = [];
  @state() private types: AppointmentType[] = [];
  @state() private practitioner = '';
  @state() private resources: ConfigItem[] = [];
  @state() private resource = '';
  @state() private error: ApiError | undefined;
  @state() private notice = '';
  @state() private selected: Appointment | undefined;
  @state() private creating: { start: Date } | undefined;
  @state() private newType = '';
  @state() private newPractitioner = '';
  @state() private patientQuery = '';
  @state() private patientHits: PatientHit[] = [];
  @state() private newPatient: PatientHit | undefined;
  @state() private busy = false;
  @query('#calendar') private container!: HTMLElement;
  @query('#details') private detailsDialog!: HTMLDialogElement;
  @query('#create') private createDialog!: HTMLDialogElement;
  private calendar: Calendar | undefined;
  private appointments = new Map<string, Appointment>();
  private searchTimer: number | undefined;

  constructor() {
    super();
    new LanguageController(this);
  }

  async firstUpdated(): Promise<void> {
    try {
      const [p, ty, rs] = await Promise.all([
        api<{ practitioners: ConfigItem[] }>('GET', '/api/v1/practitioners'),
        api<{ appointment_types: AppointmentType[] }>('GET', '/api/v1/appointment-types'),
        api<{ resources: ConfigItem[] }>('GET', '/api/v1/resources'),
      ]);
      this.practitioners = p.practitioners.filter((x) => x.active);
      this.resources = rs.resources.filter((x) => x.active);
      this.types = ty.appointment_types.filter((x) => x.active);
    } catch (e) {
      this.error = asApiError(e);
    }
    this.calendar = new Calendar(this.container, {
      plugins: [timeGridPlugin, interactionPlugin],
      initialView: 'timeGridWeek',
      locales: [deLocale, enLocale],
      locale: lang() === 'de' ? 'de' : 'en-gb',
      firstDay: 1,
      nowIndicator: true,
      allDaySlot: false,
      slotMinTime: '07:00:00',
      slotMaxTime: '20:00:00',
      slotDuration: '00:15:00',
      height: 'auto',
      expandRows: true,
      headerToolbar: { left: 'prev,next today', center: 'title', right: 'timeGridDay,timeGridWeek' },
      editable: true,
      eventDurationEditable: false,
      // Events take the focus and open with Enter, like buttons.
      eventInteractive: true,
      events: (info, success, failure) => {
        this.load(info.start, info.end).then(success, failure);
      },
      eventDrop: (arg) => void this.moved(arg),
      eventClick: (arg) => {
        this.selected = this.appointments.get(arg.event.id);
        void this.updateComplete.then(() => this.detailsDialog.showModal());
      },
      dateClick: (arg: DateClickArg) => this.openCreate(arg.date),
      // The toolbar's icons are decoration: the buttons carry their names (title).
      datesSet: () => {
        for (const icon of this.container.querySelectorAll('.fc-icon')) icon.setAttribute('aria-hidden', 'true');
      },
      eventDidMount: (arg) => {
        arg.el.setAttribute('data-appointment', arg.event.id);
        arg.el.setAttribute('data-practitioner', String(arg.event.extendedProps.practitioner ?? ''));
      },
    });
    this.calendar.render();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.calendar?.destroy();
  }

  protected updated(changed: Map<string, unknown>): void {
    if (changed.has('unreviewed')) this.calendar?.refetchEvents();
  }

  // Re-read the calendar (after a change elsewhere, e.g. the inbox).
  refresh(): void {
    this.calendar?.refetchEvents();
  }

  private typeName(id: string): string {
    const type = this.types.find((x) => x.id === id);
    if (!type) return '';
    return lang() === 'de' ? type.name_de : type.name_en || type.name_de;
  }

  private practitionerName(id: string): string {
    return this.practitioners.find((x) => x.id === id)?.name ?? '';
  }

  private async load(start: Date, end: Date): Promise<EventInput[]> {
    const params = new URLSearchParams({ from: start.toISOString(), to: end.toISOString() });
    if (this.practitioner) params.set('practitioner', this.practitioner);
    const answer = await api<{ appointments: Appointment[] }>('GET', `/api/v1/appointments?${params}`);
    const active = answer.appointments.filter(
      (a) => a.status !== 'cancelled' && (!this.resource || a.resources.includes(this.resource)),
    );
    this.appointments = new Map(active.map((a) => [a.id, a]));
    await this.names.load(active.map((a) => a.patient_id).filter((x): x is string => Boolean(x)));
    return active.map((a) => {
      const index = Math.max(0, this.practitioners.findIndex((p) => p.id === a.practitioner_id));
      const patient = a.patient_id ? this.names.short(a.patient_id) : '';
      const online = a.source === 'online' && this.unreviewed.has(a.id);
      return {
        id: a.id,
        start: a.start,
        end: a.end,
        title: [patient, this.typeName(a.type_id)].filter(Boolean).join(' · '),
        backgroundColor: palette[index % palette.length],
        borderColor: palette[index % palette.length],
        classNames: [`status-${a.status}`, ...(online ? ['online-new'] : [])],
        extendedProps: { practitioner: a.practitioner_id },
      };
    });
  }

  private async moved(arg: EventDropArg): Promise<void> {
    const a = this.appointments.get(arg.event.id);
    if (!a || !arg.event.start) return arg.revert();
    try {
      await api('PATCH', `/api/v1/appointments/${a.id}`, { start: arg.event.start.toISOString() }, {
        ...this.csrf,
        'If-Match': `"${a.version}"`,
      });
      this.notice = t('calendar.moved', { when: formatDateTime(arg.event.start.toISOString()) });
      this.error = undefined;
    } catch (e) {
      arg.revert();
      this.error = asApiError(e);
    }
    this.calendar?.refetchEvents();
  }

  private async setStatus(status: string): Promise<void> {
    const a = this.selected;
    if (!a) return;
    this.busy = true;
    try {
      if (status === 'cancelled') {
        await api('DELETE', `/api/v1/appointments/${a.id}?reason=practice`, undefined, {
          ...this.csrf,
          'If-Match': `"${a.version}"`,
        });
      } else {
        await api('PATCH', `/api/v1/appointments/${a.id}`, { status }, { ...this.csrf, 'If-Match': `"${a.version}"` });
      }
      this.notice = t('calendar.status_set', { status: t(`status.${status}`) });
      this.error = undefined;
      this.detailsDialog.close();
      this.selected = undefined;
    } catch (e) {
      this.error = asApiError(e);
      this.detailsDialog.close();
    } finally {
      this.busy = false;
      this.calendar?.refetchEvents();
    }
  }

  // Moving without dragging (keyboard): the new start from the details dialog.
  private async moveTo(event: Event): Promise<void> {
    event.preventDefault();
    const a = this.selected;
    const value = new FormData(event.target as HTMLFormElement).get('start');
    const start = new Date(String(value));
    if (!a || Number.isNaN(start.getTime())) return;
    this.busy = true;
    try {
      await api('PATCH', `/api/v1/appointments/${a.id}`, { start: start.toISOString() }, { ...this.csrf, 'If-Match': `"${a.version}"` });
      this.notice = t('calendar.moved', { when: formatDateTime(start.toISOString()) });
      this.error = undefined;
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
      this.detailsDialog.close();
      this.calendar?.refetchEvents();
    }
  }

  private openCreate(start: Date): void {
    this.creating = { start };
    this.newPractitioner = this.practitioner || this.practitioners[0]?.id || '';
    const offered = this.types.filter((x) => x.practitioners.includes(this.newPractitioner));
    this.newType = offered[0]?.id ?? '';
    this.patientQuery = '';
    this.patientHits = [];
    this.newPatient = undefined;
    void this.updateComplete.then(() => this.createDialog.showModal());
  }

  private onPatientQuery(value: string): void {
    this.patientQuery = value;
    window.clearTimeout(this.searchTimer);
    if (value.trim().length < 2) {
      this.patientHits = [];
      return;
    }
    this.searchTimer = window.setTimeout(async () => {
      try {
        this.patientHits = (await searchPatients(value, 8)).patients;
      } catch (e) {
        this.error = asApiError(e);
      }
    }, 200);
  }

  private async create(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.creating) return;
    this.busy = true;
    try {
      const body: Record<string, unknown> = {
        type_id: this.newType,
        practitioner_id: this.newPractitioner,
        start: this.creating.start.toISOString(),
      };
      if (this.newPatient) body.patient_id = this.newPatient.id;
      await api('POST', '/api/v1/appointments', body, this.csrf);
      this.notice = t('calendar.created', { when: formatDateTime(this.creating.start.toISOString()) });
      this.error = undefined;
      this.createDialog.close();
      this.creating = undefined;
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
      this.calendar?.refetchEvents();
    }
  }

  render() {
    return html`
      <div class="toolbar">
        <div class="field">
          <label for="practitioner-filter">${t('practitioner.label')}</label>
          <select
            id="practitioner-filter"
            @change=${(e: Event) => {
              this.practitioner = (e.target as HTMLSelectElement).value;
              this.calendar?.refetchEvents();
            }}
          >
            <option value="">${t('calendar.all')}</option>
            ${this.practitioners.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
          </select>
        </div>
        ${this.resources.length
          ? html`<div class="field">
              <label for="resource-filter">${t('calendar.resource')}</label>
              <select
                id="resource-filter"
                @change=${(e: Event) => {
                  this.resource = (e.target as HTMLSelectElement).value;
                  this.calendar?.refetchEvents();
                }}
              >
                <option value="">${t('calendar.all_resources')}</option>
                ${this.resources.map((r) => html`<option value=${r.id}>${r.name}</option>`)}
              </select>
            </div>`
          : nothing}
        <button
          @click=${() => {
            const at = this.calendar?.getDate() ?? new Date();
            at.setHours(9, 0, 0, 0);
            this.openCreate(at);
          }}
        >
          ${t('calendar.new')}
        </button>
        <div class="legend"><span class="new">${t('calendar.legend.new')}</span><span>${t('calendar.legend.hint')}</span></div>
      </div>
      ${this.notice ? html`<div class="alert ok" role="status">${this.notice}</div>` : nothing}
      ${this.error
        ? html`<div class="alert error" role="alert">
            ${this.error.status === 412 ? t('calendar.stale') : this.error.status === 409 ? t('calendar.conflict') : this.error.text()}
          </div>`
        : nothing}
      <div id="calendar"></div>
      ${this.renderDetails()} ${this.renderCreate()}
    `;
  }

  private renderDetails() {
    const a = this.selected;
    return html`<dialog id="details" aria-labelledby="details-title" @close=${() => (this.selected = undefined)}>
      ${a
        ? html`<h2 id="details-title">${this.typeName(a.type_id)}</h2>
            <dl>
              <dt>${t('done.when')}</dt>
              <dd>${formatDateTime(a.start)}</dd>
              <dt>${t('practitioner.label')}</dt>
              <dd>${this.practitionerName(a.practitioner_id)}</dd>
              <dt>${t('calendar.patient')}</dt>
              <dd>${a.patient_id ? this.names.full(a.patient_id) : t('calendar.no_patient')}</dd>
              <dt>${t('manage.status')}</dt>
              <dd data-status=${a.status}>${t(`status.${a.status}`)}${a.source === 'online' ? ` · ${t('calendar.online')}` : ''}</dd>
            </dl>
            <div class="row">
              ${['arrived', 'fulfilled', 'noshow']
                .filter((s) => s !== a.status)
                .map(
                  (s) => html`<button class="secondary" ?disabled=${this.busy} @click=${() => this.setStatus(s)}>
                    ${t(`calendar.set.${s}`)}
                  </button>`,
                )}
              <button class="danger" ?disabled=${this.busy} @click=${() => this.setStatus('cancelled')}>${t('manage.cancel')}</button>
              <button class="link" @click=${() => this.detailsDialog.close()}>${t('calendar.close')}</button>
            </div>
            <form class="row" @submit=${this.moveTo}>
              <div class="field">
                <label for="move-start">${t('calendar.move_to')}</label>
                <input id="move-start" name="start" type="datetime-local" step="300" required .value=${localInput(new Date(a.start))} />
              </div>
              <button type="submit" class="secondary" ?disabled=${this.busy}>${t('calendar.move')}</button>
            </form>`
        : nothing}
    </dialog>`;
  }

  private renderCreate() {
    const c = this.creating;
    const offered = this.types.filter((x) => x.practitioners.includes(this.newPractitioner));
    return html`<dialog id="create" aria-labelledby="create-title" @close=${() => (this.creating = undefined)}>
      ${c
        ? html`<form @submit=${this.create}>
            <h2 id="create-title">${t('calendar.new')}</h2>
            <div class="field">
              <label for="new-start">${t('calendar.start')}</label>
              <input
                id="new-start"
                type="datetime-local"
                step="300"
                required
                .value=${localInput(c.start)}
                @change=${(e: Event) => {
                  const v = new Date((e.target as HTMLInputElement).value);
                  if (!Number.isNaN(v.getTime())) this.creating = { start: v };
                }}
              />
            </div>
            <div class="field">
              <label for="new-practitioner">${t('practitioner.label')}</label>
              <select
                id="new-practitioner"
                @change=${(e: Event) => {
                  this.newPractitioner = (e.target as HTMLSelectElement).value;
                  this.newType = this.types.find((x) => x.practitioners.includes(this.newPractitioner))?.id ?? '';
                }}
              >
                ${this.practitioners.map(
                  (p) => html`<option value=${p.id} ?selected=${p.id === this.newPractitioner}>${p.name}</option>`,
                )}
              </select>
            </div>
            <div class="field">
              <label for="new-type">${t('calendar.type')}</label>
              <select id="new-type" @change=${(e: Event) => (this.newType = (e.target as HTMLSelectElement).value)}>
                ${offered.map(
                  (x) => html`<option value=${x.id} ?selected=${x.id === this.newType}>
                    ${lang() === 'de' ? x.name_de : x.name_en || x.name_de} (${x.duration_minutes} min)
                  </option>`,
                )}
              </select>
            </div>
            <div class="field">
              <label for="new-patient">${t('calendar.patient')}</label>
              <input
                id="new-patient"
                type="search"
                autocomplete="off"
                .value=${this.patientQuery}
                @input=${(e: Event) => this.onPatientQuery((e.target as HTMLInputElement).value)}
              />
              <ul class="results">
                ${this.patientHits.map(
                  (p) => html`<li>
                    <button
                      type="button"
                      aria-pressed=${this.newPatient?.id === p.id ? 'true' : 'false'}
                      @click=${() => (this.newPatient = p)}
                    >
                      ${p.family_name}, ${p.given_names} · ${formatDate(p.birth_date)}
                    </button>
                  </li>`,
                )}
              </ul>
            </div>
            <div class="row">
              <button type="submit" ?disabled=${this.busy || !this.newType}>${t('calendar.create')}</button>
              <button type="button" class="link" @click=${() => this.createDialog.close()}>${t('calendar.close')}</button>
            </div>
          </form>`
        : nothing}
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-calendar': PraxisCalendar;
  }
}
