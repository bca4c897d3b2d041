// The manage page from the confirmation link (/book/{slug}/manage#token): the booking,
// and while the practice's deadline allows, cancel or move it. The token lives in the
// fragment, so it never reaches a server log or a Referer header.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

import { ApiError, api, asApiError } from '../shared/api';
import { formatDateTime } from '../shared/format';
import { LanguageController, t } from '../shared/i18n';
import { base } from '../shared/styles';
import { practiceAddress, practitionerNames, typeName } from './model';
import type { PracticeInfo } from './model';
import type { Slot } from './slot-picker';

interface BookingView {
  reference: string;
  status: string;
  start: string;
  end: string;
  appointment_type: { name: string; name_en: string };
  appointment_type_id: string;
  practitioner: string;
  changeable_until: string;
  changeable: boolean;
}

@customElement('praxis-manage-view')
export class ManageView extends LitElement {
  static styles = [
    base,
    css`
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
      dt { font-weight: 600; }
      dd { margin: 0; }
      section { margin-top: 1.5rem; }
    `,
  ];

  @property({ attribute: false }) practice: PracticeInfo | undefined;
  @property() slug = '';

  @state() private view: BookingView | undefined;
  @state() private error: ApiError | undefined;
  @state() private notice = '';
  @state() private confirmingCancel = false;
  @state() private rescheduling = false;
  @state() private newSlot: Slot | undefined;
  @state() private busy = false;
  @state() private generation = 0;
  private readonly token = location.hash.replace(/^#/, '');

  constructor() {
    super();
    new LanguageController(this);
  }

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private path(): string {
    return `/api/v1/public/bookings/${encodeURIComponent(this.token)}`;
  }

  private async load(): Promise<void> {
    if (!this.token) return;
    try {
      this.view = await api<BookingView>('GET', this.path());
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  private async cancel(): Promise<void> {
    this.busy = true;
    this.error = undefined;
    try {
      this.view = await api<BookingView>('DELETE', this.path());
      this.notice = t('manage.cancelled');
      this.confirmingCancel = false;
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
    }
  }

  private async move(): Promise<void> {
    if (!this.newSlot) return;
    this.busy = true;
    this.error = undefined;
    try {
      this.view = await api<BookingView>('POST', `${this.path()}/reschedule`, {
        start: this.newSlot.start,
        practitioner: this.newSlot.practitioner,
      });
      this.notice = t('manage.moved');
      this.rescheduling = false;
      this.newSlot = undefined;
    } catch (e) {
      this.error = asApiError(e);
      if (this.error.status === 409) {
        this.newSlot = undefined;
        this.generation += 1;
      }
    } finally {
      this.busy = false;
    }
  }

  render() {
    if (!this.token) return html`<div class="alert error" role="alert">${t('manage.missing')}</div>`;
    if (!this.view) {
      return this.error
        ? html`<div class="alert error" role="alert">${this.error.text()}</div>`
        : html`<p aria-live="polite">${t('loading')}</p>`;
    }
    const v = this.view;
    const active = v.status !== 'cancelled';
    const names = practitionerNames(this.practice);
    return html`
      <h2 tabindex="-1">${t('manage.title')}</h2>
      ${this.notice ? html`<div class="alert ok" role="status">${this.notice}</div>` : nothing}
      ${this.error
        ? html`<div class="alert error" role="alert">
            ${this.error.status === 409 && this.rescheduling ? t('error.slot_taken') : this.error.text()}
          </div>`
        : nothing}
      <div class="card">
        <dl>
          <dt>${t('done.when')}</dt>
          <dd>${typeName(v.appointment_type)}, ${formatDateTime(v.start)}</dd>
          ${names[v.practitioner] ? html`<dt>${t('practitioner.label')}</dt><dd>${names[v.practitioner]}</dd>` : nothing}
          <dt>${t('manage.status')}</dt>
          <dd data-status=${v.status}>${t(`status.${v.status}`)}</dd>
          <dt>${t('done.reference')}</dt>
          <dd><code>${v.reference}</code></dd>
          ${this.practice
            ? html`<dt>${t('practice.label')}</dt><dd>${this.practice.name}, ${practiceAddress(this.practice.address)}</dd>`
            : nothing}
        </dl>
      </div>
      ${active && v.changeable
        ? html`<p class="hint">${t('manage.deadline', { when: formatDateTime(v.changeable_until) })}</p>
            ${this.renderActions(v)}`
        : active
          ? html`<p class="alert info">${t('manage.locked')}</p>`
          : nothing}
    `;
  }

  private renderActions(v: BookingView) {
    if (this.confirmingCancel) {
      return html`<section class="alert info" role="alertdialog" aria-labelledby="cancel-question">
        <p id="cancel-question">${t('manage.cancel.confirm', { when: formatDateTime(v.start) })}</p>
        <div class="row">
          <button class="danger" ?disabled=${this.busy} @click=${() => this.cancel()}>${t('manage.cancel.yes')}</button>
          <button class="secondary" @click=${() => (this.confirmingCancel = false)}>${t('manage.cancel.no')}</button>
        </div>
      </section>`;
    }
    if (this.rescheduling) {
      return html`<section>
        <h3>${t('manage.reschedule.pick')}</h3>
        <praxis-slot-picker
          slug=${this.slug}
          type-id=${v.appointment_type_id}
          practitioner=""
          .names=${practitionerNames(this.practice)}
          .generation=${this.generation}
          @slot-selected=${(e: CustomEvent<Slot>) => (this.newSlot = e.detail)}
        ></praxis-slot-picker>
        <div class="row">
          ${this.newSlot
            ? html`<button ?disabled=${this.busy} @click=${() => this.move()}>
                ${t('manage.reschedule.to', { when: formatDateTime(this.newSlot.start) })}
              </button>`
            : nothing}
          <button class="link" @click=${() => ((this.rescheduling = false), (this.newSlot = undefined))}>
            ${t('back')}
          </button>
        </div>
      </section>`;
    }
    return html`<div class="row">
      <button class="secondary" @click=${() => ((this.rescheduling = true), (this.notice = ''))}>${t('manage.reschedule')}</button>
      <button class="danger" @click=${() => ((this.confirmingCancel = true), (this.notice = ''))}>${t('manage.cancel')}</button>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-manage-view': ManageView;
  }
}
