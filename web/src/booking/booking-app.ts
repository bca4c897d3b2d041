// The public booking page /book/{slug} (and, from the link in the confirmation, the
// manage page /book/{slug}/manage#token). Also runs framed by the widget (?embed=1).
//
// Steps: new or existing patient → appointment type → day and time → details (the
// proof-of-work is solved meanwhile) → confirmation with the manage link and a
// calendar file.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';

import { ApiError, api, asApiError, idempotencyKey } from '../shared/api';
import { formatDateTime, formatLongDay, formatTime, parseGermanDate } from '../shared/format';
import { LanguageController, lang, t } from '../shared/i18n';
import '../shared/lang-switch';
import { base } from '../shared/styles';
import { calendarFile } from './ics';
import { practiceAddress, practitionerNames, typeName } from './model';
import type { AppointmentType, PracticeInfo } from './model';
import './manage-view';
import { ProofOfWork } from './pow';
import './slot-picker';
import type { Slot } from './slot-picker';

interface Booked {
  reference: string;
  manage_token: string;
  start: string;
  end: string;
  appointment_type: { name: string; name_en: string };
  instructions?: string;
  instructions_en?: string;
}

type Step = 'patient' | 'type' | 'slot' | 'details' | 'done';
const insuranceKinds = ['GKV', 'PKV', 'self_pay', 'BG'];

interface Form {
  family_name: string;
  given_names: string;
  birth_date: string;
  phone: string;
  email: string;
  insurance_kind: string;
  message: string;
  reminder_consent: boolean;
}

const emptyForm = (): Form => ({
  family_name: '',
  given_names: '',
  birth_date: '',
  phone: '',
  email: '',
  insurance_kind: 'GKV',
  message: '',
  reminder_consent: false,
});

@customElement('praxis-booking-app')
export class BookingApp extends LitElement {
  static styles = [
    base,
    css`
      :host { max-width: 46rem; margin: 0 auto; padding: 1rem; }
      header { display: flex; justify-content: space-between; align-items: flex-start; gap: 1rem; margin-bottom: 1rem; }
      header p { margin: 0; color: var(--muted); }
      .choices { display: grid; gap: 0.5rem; }
      .choice { text-align: left; background: #fff; color: var(--text); border: 1px solid var(--border); }
      .choice:hover { background: var(--accent-soft); }
      .choice small { display: block; color: var(--muted); }
      .grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1rem; }
      @media (max-width: 32rem) { .grid2 { grid-template-columns: 1fr; } }
      .summary { font-weight: 600; }
      .checkbox { display: flex; gap: 0.5rem; align-items: flex-start; font-weight: normal; }
      .checkbox input { margin-top: 0.35rem; width: 1.1rem; height: 1.1rem; }
      .manage-link { word-break: break-all; background: var(--accent-soft); padding: 0.5rem; border-radius: var(--radius); }
      .step { color: var(--muted); font-size: 0.9rem; margin-bottom: 0.25rem; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
      dt { font-weight: 600; }
      dd { margin: 0; }
      footer { margin-top: 2rem; color: var(--muted); font-size: 0.85rem; }
    `,
  ];

  @state() private practice: PracticeInfo | undefined;
  @state() private loadError: ApiError | undefined;
  @state() private step: Step = 'patient';
  @state() private newPatient = false;
  @state() private type: AppointmentType | undefined;
  @state() private practitioner = '';
  @state() private chosen: Slot | undefined;
  @state() private form: Form = emptyForm();
  @state() private error: ApiError | undefined;
  @state() private slotTaken = 0;
  @state() private submitting = false;
  @state() private powFailed = false;
  @state() private booked: Booked | undefined;
  @state() private copied = false;
  private calendarUrl = '';

  private readonly slug = decodeURIComponent(location.pathname.split('/')[2] ?? '');
  private readonly manage = location.pathname.split('/')[3] === 'manage';
  private readonly embedded = new URLSearchParams(location.search).get('embed') === '1';
  private pow: ProofOfWork | undefined;
  private bookingKey = idempotencyKey();
  private resizeObserver: ResizeObserver | undefined;

  constructor() {
    super();
    new LanguageController(this);
  }

  connectedCallback(): void {
    super.connectedCallback();
    document.title = t('app.title');
    void this.loadPractice();
    if (this.embedded && window.parent !== window) {
      // The widget sizes its frame to the page; the height is all that is told.
      // Measured on the app itself: the document is at least as tall as the frame.
      this.resizeObserver = new ResizeObserver(() => {
        const height = Math.ceil(this.getBoundingClientRect().bottom + window.scrollY);
        window.parent.postMessage({ praxis: 'height', height }, '*');
      });
      this.resizeObserver.observe(this);
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
  }

  private async loadPractice(): Promise<void> {
    this.loadError = undefined;
    try {
      this.practice = await api<PracticeInfo>('GET', `/api/v1/public/practices/${encodeURIComponent(this.slug)}`);
      document.title = `${t('app.title')} – ${this.practice.name}`;
      if (this.practice.proof_of_work) {
        this.pow = new ProofOfWork(`/api/v1/public/practices/${encodeURIComponent(this.slug)}/challenge`);
      }
    } catch (e) {
      this.loadError = asApiError(e);
    }
  }

  private names(): Record<string, string> {
    return practitionerNames(this.practice);
  }

  private go(step: Step): void {
    this.step = step;
    this.error = undefined;
    void this.updateComplete.then(() => {
      const heading = this.renderRoot.querySelector<HTMLElement>('main h2');
      heading?.focus();
    });
  }

  private choosePatient(isNew: boolean): void {
    this.newPatient = isNew;
    this.go('type');
  }

  private chooseType(type: AppointmentType): void {
    this.type = type;
    this.practitioner = '';
    this.go('slot');
  }

  private chooseSlot(slot: Slot): void {
    this.chosen = slot;
    this.go('details');
    // Solve while the patient types; a failure shows only if it is still unsolved at submit.
    this.pow?.start().catch(() => undefined);
  }

  private set<K extends keyof Form>(key: K, value: Form[K]): void {
    this.form = { ...this.form, [key]: value };
  }

  private async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.practice || !this.type || !this.chosen || this.submitting) return;
    this.submitting = true;
    this.error = undefined;
    this.powFailed = false;
    const birth = parseGermanDate(this.form.birth_date);
    let altcha = '';
    try {
      if (this.pow) altcha = await this.pow.start();
    } catch {
      this.powFailed = true;
      this.submitting = false;
      return;
    }
    const body: Record<string, unknown> = {
      appointment_type: this.type.id,
      start: this.chosen.start,
      practitioner: this.chosen.practitioner,
      patient: {
        family_name: this.form.family_name,
        given_names: this.form.given_names,
        birth_date: birth ?? this.form.birth_date,
        phone: this.form.phone || undefined,
        email: this.form.email || undefined,
        insurance_kind: this.form.insurance_kind,
        new_patient: this.newPatient,
      },
      message: this.form.message || undefined,
      reminder_consent: this.form.reminder_consent,
      language: lang(),
    };
    if (altcha) body.altcha = altcha;
    try {
      this.booked = await api<Booked>(
        'POST',
        `/api/v1/public/practices/${encodeURIComponent(this.slug)}/bookings`,
        body,
        { 'Idempotency-Key': this.bookingKey },
      );
      this.calendarUrl = this.calendarFileUrl();
      this.go('done');
    } catch (e) {
      const error = asApiError(e);
      // A network failure may be retried with the same key (the server answers the
      // first result again); any answer means the next attempt is a new request.
      if (error.status !== 0) this.bookingKey = idempotencyKey();
      this.pow?.reset();
      if (error.status === 409) {
        this.slotTaken += 1;
        this.chosen = undefined;
        this.error = error;
        this.go('slot');
        this.error = error;
      } else {
        this.error = error;
      }
    } finally {
      this.submitting = false;
    }
  }

  private restart(): void {
    URL.revokeObjectURL(this.calendarUrl);
    this.calendarUrl = '';
    this.copied = false;
    this.booked = undefined;
    this.chosen = undefined;
    this.type = undefined;
    this.form = emptyForm();
    this.bookingKey = idempotencyKey();
    this.go('patient');
  }

  private manageUrl(): string {
    return `${location.origin}/book/${encodeURIComponent(this.slug)}/manage#${this.booked?.manage_token ?? ''}`;
  }

  private async copyLink(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.manageUrl());
      this.copied = true;
    } catch {
      // no clipboard permission (e.g. in a frame): the link stays selectable
    }
  }

  private calendarFileUrl(): string {
    const b = this.booked!;
    const p = this.practice!;
    const file = calendarFile({
      uid: `${b.reference}@${location.host}`,
      start: b.start,
      end: b.end,
      summary: `${t('calendar.summary', { type: typeName(b.appointment_type) })} – ${p.name}`,
      location: `${p.name}, ${practiceAddress(p.address)}`,
      description: `${t('done.reference')}: ${b.reference}\n${this.manageUrl()}`,
    });
    return URL.createObjectURL(new Blob([file], { type: 'text/calendar' }));
  }

  render() {
    return html`
      <header>
        <div>
          <h1>${this.practice?.name ?? t('app.title')}</h1>
          ${this.practice ? html`<p>${practiceAddress(this.practice.address)}</p>` : nothing}
        </div>
        <praxis-lang-switch></praxis-lang-switch>
      </header>
      <main>${this.renderMain()}</main>
      <footer>${t('privacy')}</footer>
    `;
  }

  private renderMain() {
    if (this.loadError) {
      return this.loadError.status === 404
        ? html`<div class="alert error" role="alert">${t('practice.notfound')}</div>`
        : html`<div class="alert error" role="alert">${this.loadError.text()}</div>
            <button @click=${() => this.loadPractice()}>${t('retry')}</button>`;
    }
    if (!this.practice) return html`<p aria-live="polite">${t('loading')}</p>`;
    if (this.manage) {
      return html`<praxis-manage-view .practice=${this.practice} slug=${this.slug}></praxis-manage-view>`;
    }
    switch (this.step) {
      case 'patient':
        return this.renderPatient();
      case 'type':
        return this.renderTypes();
      case 'slot':
        return this.renderSlot();
      case 'details':
        return this.renderDetails();
      case 'done':
        return this.renderDone();
    }
  }

  private stepLine(n: number) {
    return html`<p class="step">${t('step', { n, total: 4 })}</p>`;
  }

  private renderPatient() {
    return html`${this.stepLine(1)}
      <h2 tabindex="-1">${t('patient.question')}</h2>
      <div class="choices">
        <button class="choice" @click=${() => this.choosePatient(false)}>${t('patient.existing')}</button>
        <button class="choice" @click=${() => this.choosePatient(true)}>${t('patient.new')}</button>
      </div>`;
  }

  private renderTypes() {
    const types = this.practice!.appointment_types.filter((x) =>
      this.newPatient ? x.new_patients : x.existing_patients,
    );
    return html`${this.stepLine(1)}
      <h2 tabindex="-1">${t('type.choose')}</h2>
      ${types.length === 0
        ? html`<p class="alert info">${t('type.none')}</p>`
        : html`<div class="choices">
            ${types.map(
              (x) => html`<button class="choice" @click=${() => this.chooseType(x)}>
                ${typeName(x)} <small>${t('type.minutes', { n: x.duration_minutes })}</small>
              </button>`,
            )}
          </div>`}
      <p><button class="link" @click=${() => this.go('patient')}>← ${t('back')}</button></p>`;
  }

  private renderSlot() {
    const type = this.type!;
    const offered = this.practice!.practitioners.filter((p) => type.practitioners.includes(p.id));
    return html`${this.stepLine(2)}
      <h2 tabindex="-1">${typeName(type)}</h2>
      ${this.error?.status === 409
        ? html`<div class="alert error" role="alert">${t('error.slot_taken')}</div>`
        : this.error
          ? html`<div class="alert error" role="alert">${this.error.text()}</div>`
          : nothing}
      ${offered.length > 1
        ? html`<div class="field">
            <label for="practitioner">${t('practitioner.label')}</label>
            <select id="practitioner" @change=${(e: Event) => (this.practitioner = (e.target as HTMLSelectElement).value)}>
              <option value="" ?selected=${this.practitioner === ''}>${t('practitioner.any')}</option>
              ${offered.map(
                (p) => html`<option value=${p.id} ?selected=${this.practitioner === p.id}>${p.display_name}</option>`,
              )}
            </select>
          </div>`
        : nothing}
      <praxis-slot-picker
        slug=${this.slug}
        type-id=${type.id}
        practitioner=${this.practitioner}
        .names=${this.names()}
        .generation=${this.slotTaken}
        @slot-selected=${(e: CustomEvent<Slot>) => this.chooseSlot(e.detail)}
      ></praxis-slot-picker>
      <p><button class="link" @click=${() => this.go('type')}>← ${t('back')}</button></p>`;
  }

  private fieldError(field: string) {
    const text = this.error?.fieldText(field);
    return text ? html`<div class="field-error" id="${field}-error">${text}</div>` : nothing;
  }

  private input(key: keyof Form, type: string, autocomplete: string, required: boolean, hint?: string) {
    const field = `patient.${key}`;
    const invalid = Boolean(this.error?.fieldText(field));
    const describedBy = [hint ? `${key}-hint` : '', invalid ? `${field}-error` : ''].filter(Boolean).join(' ');
    return html`<div class="field">
      <label for=${key}>${t(`field.${key}`)}${required ? html` <span aria-hidden="true">*</span>` : nothing}</label>
      <input
        id=${key}
        name=${key}
        type=${type}
        autocomplete=${autocomplete}
        ?required=${required}
        aria-required=${required ? 'true' : 'false'}
        aria-invalid=${invalid ? 'true' : 'false'}
        aria-describedby=${describedBy || nothing}
        inputmode=${key === 'birth_date' ? 'numeric' : nothing}
        .value=${String(this.form[key])}
        @input=${(e: Event) => this.set(key, (e.target as HTMLInputElement).value as never)}
      />
      ${hint ? html`<div class="hint" id="${key}-hint">${hint}</div>` : nothing}
      ${this.fieldError(field)}
    </div>`;
  }

  private renderDetails() {
    const type = this.type!;
    const slot = this.chosen!;
    const kinds = type.insurance_kinds.length > 0 ? type.insurance_kinds : insuranceKinds;
    const contactError = this.error?.fieldText('patient') ?? this.error?.fieldText('patient.contact');
    return html`${this.stepLine(3)}
      <h2 tabindex="-1">${t('details.title')}</h2>
      <p class="summary">
        ${t('details.summary', { type: typeName(type), day: formatLongDay(slot.start), time: formatTime(slot.start) })}
        ${type.practitioners.length > 1 ? html`– ${t('time.with', { name: this.names()[slot.practitioner] ?? '' })}` : nothing}
      </p>
      ${this.error ? html`<div class="alert error" role="alert">${this.error.text()}</div>` : nothing}
      ${this.powFailed ? html`<div class="alert error" role="alert">${t('pow.failed')}</div>` : nothing}
      <form @submit=${this.submit} novalidate>
        <div class="grid2">
          ${this.input('given_names', 'text', 'given-name', true)}
          ${this.input('family_name', 'text', 'family-name', true)}
        </div>
        ${this.input('birth_date', 'text', 'bday', true, t('field.birth_date.hint'))}
        <p class="hint" id="contact-hint">${t('field.contact.hint')}</p>
        ${contactError ? html`<div class="field-error" role="alert">${contactError}</div>` : nothing}
        <div class="grid2">
          ${this.input('phone', 'tel', 'tel', false)} ${this.input('email', 'email', 'email', false)}
        </div>
        <div class="field">
          <label for="insurance_kind">${t('field.insurance_kind')}</label>
          <select
            id="insurance_kind"
            aria-invalid=${this.error?.fieldText('patient.insurance_kind') ? 'true' : 'false'}
            @change=${(e: Event) => this.set('insurance_kind', (e.target as HTMLSelectElement).value)}
          >
            ${kinds.map(
              (k) => html`<option value=${k} ?selected=${this.form.insurance_kind === k}>${t(`insurance.${k}`)}</option>`,
            )}
          </select>
          ${this.fieldError('patient.insurance_kind')}
        </div>
        <div class="field">
          <label for="message">${t('field.message')}</label>
          <textarea
            id="message"
            rows="3"
            maxlength="1000"
            .value=${this.form.message}
            @input=${(e: Event) => this.set('message', (e.target as HTMLTextAreaElement).value)}
          ></textarea>
          ${this.fieldError('message')}
        </div>
        <div class="field">
          <label class="checkbox">
            <input
              type="checkbox"
              .checked=${this.form.reminder_consent}
              @change=${(e: Event) => this.set('reminder_consent', (e.target as HTMLInputElement).checked)}
            />
            <span>${t('field.reminder_consent')}</span>
          </label>
        </div>
        <div class="row">
          <button type="submit" ?disabled=${this.submitting}>${this.submitting ? t('submitting') : t('submit')}</button>
          <button type="button" class="link" @click=${() => this.go('slot')}>← ${t('back')}</button>
        </div>
        ${this.pow && this.submitting ? html`<p class="hint" aria-live="polite">${t('pow.working')}</p>` : nothing}
      </form>`;
  }

  private renderDone() {
    const b = this.booked!;
    const instructions = lang() === 'de' ? b.instructions : b.instructions_en || b.instructions;
    return html`${this.stepLine(4)}
      <h2 tabindex="-1">${t('done.title')}</h2>
      <div class="alert ok" role="status">
        <dl>
          <dt>${t('done.when')}</dt>
          <dd>${typeName(b.appointment_type)}, ${formatDateTime(b.start)}</dd>
          <dt>${t('done.reference')}</dt>
          <dd><code>${b.reference}</code></dd>
        </dl>
      </div>
      ${instructions
        ? html`<h3>${t('done.instructions')}</h3>
            <p>${instructions}</p>`
        : nothing}
      <p>${t('done.manage')}</p>
      <p class="manage-link"><a href=${this.manageUrl()} target=${this.embedded ? '_blank' : '_self'}>${this.manageUrl()}</a></p>
      <div class="row">
        <button class="secondary" @click=${() => this.copyLink()}>${this.copied ? t('done.copied') : t('done.copy')}</button>
        <a class="button secondary" href=${this.calendarUrl} download="termin.ics">${t('done.calendar')}</a>
        <button class="link" @click=${() => this.restart()}>${t('done.again')}</button>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-booking-app': BookingApp;
  }
}
