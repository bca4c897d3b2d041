// Days with free times, a week at a time, then the free times of the chosen day.
// Used for a new booking and for moving one. Fires "slot-selected" with the slot.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

import { ApiError, api, asApiError } from '../shared/api';
import { formatDay, formatLongDay, formatTime, addDays, localDate } from '../shared/format';
import { LanguageController, t } from '../shared/i18n';
import { base } from '../shared/styles';

export interface Slot {
  start: string;
  end: string;
  practitioner: string;
}

const windowDays = 7;
// Empty weeks skipped automatically before showing "nothing free" (about the horizon).
const maxSkips = 12;

@customElement('praxis-slot-picker')
export class SlotPicker extends LitElement {
  static styles = [
    base,
    css`
      .days { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: 0.5rem; }
      .day {
        text-align: left; background: #fff; color: var(--text); border: 1px solid var(--border);
      }
      .day[aria-pressed='true'] { background: var(--accent-soft); border: 2px solid var(--accent); }
      .day .count { display: block; font-size: 0.85rem; color: var(--muted); }
      .day:disabled { opacity: 1; color: var(--muted); background: #f3f4f6; }
      .times { display: grid; grid-template-columns: repeat(auto-fill, minmax(6.5rem, 1fr)); gap: 0.5rem; margin-top: 0.5rem; }
      .time { background: #fff; color: var(--accent); }
      .time small { display: block; font-size: 0.75rem; color: var(--muted); }
      .nav { display: flex; justify-content: space-between; margin: 0.75rem 0; }
      section { margin-top: 1rem; }
    `,
  ];

  @property() slug = '';
  @property({ attribute: 'type-id' }) typeId = '';
  @property() practitioner = '';
  @property({ attribute: false }) names: Record<string, string> = {};
  // Reload when this changes (e.g. after "slot just taken").
  @property({ type: Number }) generation = 0;

  @state() private from = localDate(new Date());
  @state() private slots: Slot[] | undefined;
  @state() private day: string | undefined;
  @state() private error: ApiError | undefined;
  private readonly today = localDate(new Date());
  private request = 0;

  constructor() {
    super();
    new LanguageController(this);
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('typeId') || changed.has('practitioner') || changed.has('slug')) {
      this.from = this.today;
      this.day = undefined;
      void this.load(true);
    } else if (changed.has('generation') && this.generation > 0) {
      void this.load(true);
    }
  }

  private async load(skipEmpty: boolean): Promise<void> {
    if (!this.slug || !this.typeId) return;
    const request = ++this.request;
    this.slots = undefined;
    this.error = undefined;
    let from = this.from;
    for (let skips = 0; ; ++skips) {
      const params = new URLSearchParams({ type: this.typeId, from, to: addDays(from, windowDays - 1) });
      if (this.practitioner) params.set('practitioner', this.practitioner);
      let slots: Slot[];
      try {
        const answer = await api<{ slots: Slot[] }>(
          'GET',
          `/api/v1/public/practices/${encodeURIComponent(this.slug)}/availability?${params}`,
        );
        slots = answer.slots;
      } catch (e) {
        if (request !== this.request) return;
        // Past the booking horizon the server answers 400: nothing more to show.
        if (e instanceof ApiError && e.status === 400 && skips > 0) {
          this.slots = [];
          return;
        }
        this.error = asApiError(e);
        return;
      }
      if (request !== this.request) return;
      if (slots.length > 0 || !skipEmpty || skips >= maxSkips) {
        this.from = from;
        this.slots = slots;
        const days = this.daysWithSlots();
        if (this.day && !days.has(this.day)) this.day = undefined;
        if (!this.day && days.size > 0) this.day = [...days.keys()][0];
        return;
      }
      from = addDays(from, windowDays);
    }
  }

  private daysWithSlots(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.slots ?? []) {
      const d = localDate(s.start);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    return counts;
  }

  private move(weeks: number): void {
    this.from = addDays(this.from, weeks * windowDays);
    if (this.from < this.today) this.from = this.today;
    this.day = undefined;
    void this.load(false);
  }

  private choose(slot: Slot): void {
    this.dispatchEvent(new CustomEvent<Slot>('slot-selected', { detail: slot, bubbles: true, composed: true }));
  }

  render() {
    if (this.error) {
      return html`<div class="alert error" role="alert">${this.error.text()}</div>
        <button class="secondary" @click=${() => this.load(true)}>${t('retry')}</button>`;
    }
    if (!this.slots) return html`<p aria-live="polite">${t('loading')}</p>`;
    const counts = this.daysWithSlots();
    const days = Array.from({ length: windowDays }, (_, i) => addDays(this.from, i));
    const daySlots = (this.slots ?? []).filter((s) => localDate(s.start) === this.day);
    return html`
      <h3 id="days-heading">${t('day.choose')}</h3>
      <div class="days" role="group" aria-labelledby="days-heading">
        ${days.map((d) => {
          const n = counts.get(d) ?? 0;
          return html`<button
            class="day"
            ?disabled=${n === 0}
            aria-pressed=${this.day === d ? 'true' : 'false'}
            @click=${() => (this.day = d)}
          >
            ${formatDay(d)}
            <span class="count">${n === 0 ? t('day.free.none') : n === 1 ? t('day.free.one') : t('day.free', { n })}</span>
          </button>`;
        })}
      </div>
      <div class="nav">
        <button class="secondary" ?disabled=${this.from <= this.today} @click=${() => this.move(-1)}>
          ← ${t('week.previous')}
        </button>
        <button class="secondary" @click=${() => this.move(1)}>${t('week.next')} →</button>
      </div>
      ${counts.size === 0 ? html`<p class="alert info">${t('week.empty')}</p>` : nothing}
      ${this.day && daySlots.length > 0
        ? html`<section aria-labelledby="times-heading">
            <h3 id="times-heading">${t('time.choose', { day: formatLongDay(daySlots[0].start) })}</h3>
            <div class="times">
              ${daySlots.map(
                (s) => html`<button class="time secondary" data-start=${s.start} @click=${() => this.choose(s)}>
                  ${formatTime(s.start)}
                  ${this.practitioner
                    ? nothing
                    : html`<small>${this.names[s.practitioner] ?? ''}</small>`}
                </button>`,
              )}
            </div>
          </section>`
        : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-slot-picker': SlotPicker;
  }
}
