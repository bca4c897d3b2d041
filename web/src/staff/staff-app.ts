// The staff app /app (issue #10): first-time enrolment from the one-time link
// (/app/enrol#token=…: password, QR code for the authenticator, recovery codes, first
// code), sign-in with password and TOTP or a recovery code, automatic sign-out after
// the session's idle time with a warning a minute before, and the patient search box
// with results as you type.
//
// The session is an HttpOnly cookie; the CSRF token of the sign-in answer is kept in
// sessionStorage (this tab only) and sent with every change.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';

import { ApiError, api, asApiError } from '../shared/api';
import { formatDate } from '../shared/format';
import { LanguageController, t } from '../shared/i18n';
import '../shared/lang-switch';
import { base } from '../shared/styles';
import type { PatientHit } from './model';
import './access-log';
import './calendar';
import './help';
import './inbox';
import type { PendingBooking } from './inbox';
import { PatientNames, searchPatients } from './patients';
import './patients';
import './settings';

interface Me {
  user: { id: string; display_name?: string; email: string; role: string };
  practice: { id: string; slug: string; name: string };
  permissions: string[];
}

interface EnrolSecrets {
  totp_secret: string;
  otpauth_uri: string;
  qr_svg: string;
  recovery_codes: string[];
}


const csrfKey = 'praxis.csrf';
const idleKey = 'praxis.idle';
// The warning comes a minute before the sign-out (a quarter of the idle time if shorter).
const warnBeforeSeconds = 60;

type View = 'loading' | 'login' | 'enrol' | 'home';
type Section = 'calendar' | 'patients' | 'inbox' | 'settings' | 'help';
const inboxPollMs = 60000;

@customElement('praxis-staff-app')
export class StaffApp extends LitElement {
  static styles = [
    base,
    css`
      :host { max-width: 60rem; margin: 0 auto; padding: 1rem; }
      header { display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap; margin-bottom: 1.5rem; }
      header h1 { margin: 0; }
      .narrow { max-width: 26rem; }
      .qr { width: 14rem; height: 14rem; border: 1px solid var(--border); padding: 0.5rem; background: #fff; }
      .secret, .codes { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; background: var(--accent-soft); padding: 0.5rem; border-radius: var(--radius); word-break: break-all; }
      .codes { columns: 2; list-style: none; margin: 0 0 1rem; }
      .results { list-style: none; padding: 0; margin: 0.5rem 0 0; }
      .results { max-height: 20rem; overflow: auto; }
      .results li { border-bottom: 1px solid #d5dbe1; }
      .results .hit { display: flex; justify-content: space-between; width: 100%; background: #fff; color: var(--text); border: none; border-radius: 0; padding: 0.5rem 0.25rem; }
      .results .hit:hover, .results .hit[aria-pressed='true'] { background: var(--accent-soft); }
      .tabs { list-style: none; display: flex; gap: 0.5rem; padding: 0; margin: 0 0 1rem; flex-wrap: wrap; }
      dialog { border: 2px solid var(--accent); border-radius: var(--radius); max-width: 26rem; }
      dialog::backdrop { background: rgba(0, 0, 0, 0.4); }
      .who { color: var(--muted); font-size: 0.9rem; }
    `,
  ];

  @state() private view: View = 'loading';
  @state() private me: Me | undefined;
  @state() private error: ApiError | undefined;
  @state() private notice = '';
  @state() private busy = false;
  @state() private useRecovery = false;
  // enrolment
  @state() private secrets: EnrolSecrets | undefined;
  @state() private codesSaved = false;
  // idle sign-out
  @state() private idleLeft = 0;
  // search
  @state() private query = '';
  @state() private hits: PatientHit[] | undefined;
  @state() private nextCursor: string | null = null;
  // the signed-in shell
  @state() private section: Section = 'calendar';
  @state() private patientId = '';
  @state() private accessLogFor = '';
  @state() private pending: PendingBooking[] = [];
  private readonly names = new PatientNames();
  private inboxTimer: number | undefined;

  private readonly enrolToken = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
  private idleSeconds = 900;
  private lastActivity = Date.now();
  private idleTimer: number | undefined;
  private searchTimer: number | undefined;
  private searchRequest = 0;
  private readonly activity = () => {
    this.lastActivity = Date.now();
  };

  constructor() {
    super();
    new LanguageController(this);
  }

  connectedCallback(): void {
    super.connectedCallback();
    document.title = t('staff.title');
    if (location.pathname.startsWith('/app/enrol')) {
      this.view = 'enrol';
      return;
    }
    void this.loadMe();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopIdleWatch();
  }

  private csrf(): Record<string, string> {
    const token = sessionStorage.getItem(csrfKey);
    return token ? { 'X-CSRF-Token': token } : {};
  }

  private async loadMe(): Promise<void> {
    try {
      this.me = await api<Me>('GET', '/api/v1/auth/me');
      const stored = Number(sessionStorage.getItem(idleKey));
      if (stored > 0) this.idleSeconds = stored;
      this.view = 'home';
      this.startIdleWatch();
      if (this.can('appointments.read')) {
        void this.loadInbox();
        this.inboxTimer = window.setInterval(() => void this.loadInbox(), inboxPollMs);
      } else {
        this.section = this.can('patients.read') ? 'patients' : 'help';
      }
    } catch (e) {
      this.view = 'login';
      if (e instanceof ApiError && e.status !== 401) this.error = e;
    }
  }

  // ---- sign-in ----

  private async login(event: Event): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const body: Record<string, string> = {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
    };
    const second = String(form.get('second') ?? '').replace(/\s+/g, '');
    body[this.useRecovery ? 'recovery_code' : 'totp'] = second;
    this.busy = true;
    this.error = undefined;
    this.notice = '';
    try {
      const answer = await api<{
        csrf_token: string;
        session: { idle_timeout_seconds: number };
        recovery_codes_left?: number;
      }>('POST', '/api/v1/auth/login', body);
      sessionStorage.setItem(csrfKey, answer.csrf_token);
      sessionStorage.setItem(idleKey, String(answer.session.idle_timeout_seconds));
      if (answer.recovery_codes_left !== undefined) {
        this.notice = t('staff.recovery_left', { n: answer.recovery_codes_left });
      }
      await this.loadMe();
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
    }
  }

  private can(permission: string): boolean {
    return this.me?.permissions.includes(permission) ?? false;
  }

  private async loadInbox(): Promise<void> {
    try {
      const answer = await api<{ online_bookings: PendingBooking[] }>('GET', '/api/v1/online-bookings');
      this.pending = answer.online_bookings;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) void this.logout('idle');
    }
  }

  private async logout(reason: 'user' | 'idle'): Promise<void> {
    this.stopIdleWatch();
    window.clearInterval(this.inboxTimer);
    this.inboxTimer = undefined;
    this.patientId = '';
    this.accessLogFor = '';
    try {
      await api('POST', '/api/v1/auth/logout', undefined, this.csrf());
    } catch {
      // the session may have ended on the server already
    }
    sessionStorage.removeItem(csrfKey);
    this.me = undefined;
    this.hits = undefined;
    this.query = '';
    this.notice = reason === 'idle' ? t('staff.idle_logged_out') : t('staff.logged_out');
    this.view = 'login';
  }

  // ---- idle sign-out: a warning a minute before the server would end the session ----

  private startIdleWatch(): void {
    this.stopIdleWatch();
    this.lastActivity = Date.now();
    for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, this.activity, true);
    this.idleTimer = window.setInterval(() => this.checkIdle(), 1000);
  }

  private stopIdleWatch(): void {
    for (const type of ['pointerdown', 'keydown']) window.removeEventListener(type, this.activity, true);
    if (this.idleTimer !== undefined) window.clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    this.idleLeft = 0;
  }

  private checkIdle(): void {
    const idle = (Date.now() - this.lastActivity) / 1000;
    const left = Math.ceil(this.idleSeconds - idle);
    if (left <= 0) {
      void this.logout('idle');
    } else if (left <= Math.min(warnBeforeSeconds, this.idleSeconds / 4)) {
      if (this.idleLeft === 0) void this.updateComplete.then(() => this.dialog()?.showModal());
      this.idleLeft = left;
    } else if (this.idleLeft !== 0) {
      this.idleLeft = 0;
      this.dialog()?.close();
    }
  }

  private dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  private async stay(): Promise<void> {
    this.lastActivity = Date.now();
    this.idleLeft = 0;
    this.dialog()?.close();
    try {
      await api('GET', '/api/v1/auth/me'); // any request renews the idle time on the server
    } catch {
      void this.logout('idle');
    }
  }

  // ---- enrolment ----

  private async enrol(event: Event): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const password = String(form.get('password') ?? '');
    if (password !== String(form.get('repeat') ?? '')) {
      this.error = new ApiError(400, 'mismatch', t('staff.password.mismatch'), [
        { field: 'repeat', code: 'mismatch', message: t('staff.password.mismatch') },
      ]);
      return;
    }
    this.busy = true;
    this.error = undefined;
    try {
      this.secrets = await api<EnrolSecrets>('POST', '/api/v1/auth/enrol', { token: this.enrolToken, password });
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
    }
  }

  private async confirmEnrolment(event: Event): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    this.busy = true;
    this.error = undefined;
    try {
      await api('POST', '/api/v1/auth/enrol/confirm', {
        token: this.enrolToken,
        totp: String(form.get('totp') ?? '').replace(/\s+/g, ''),
      });
      history.replaceState(null, '', '/app');
      this.secrets = undefined;
      this.notice = t('enrol.done');
      this.view = 'login';
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.busy = false;
    }
  }

  // ---- search as you type ----

  private onQuery(value: string): void {
    this.query = value;
    window.clearTimeout(this.searchTimer);
    if (value.trim().length < 2) {
      this.hits = undefined;
      return;
    }
    this.searchTimer = window.setTimeout(() => void this.search(false), 200);
  }

  private async search(more: boolean): Promise<void> {
    const request = ++this.searchRequest;
    try {
      const page = await searchPatients(this.query, 20, more ? this.nextCursor : null);
      if (request !== this.searchRequest) return; // a newer query is under way
      this.hits = more ? [...(this.hits ?? []), ...page.patients] : page.patients;
      this.nextCursor = page.next_cursor;
      this.error = undefined;
    } catch (e) {
      if (request !== this.searchRequest) return;
      if (e instanceof ApiError && e.status === 401) {
        void this.logout('idle');
        return;
      }
      this.error = asApiError(e);
    }
  }

  // ---- rendering ----

  render() {
    return html`
      <header>
        <h1>${this.me?.practice.name ?? 'praxis'}</h1>
        <div class="row">
          ${this.me
            ? html`<span class="who">${t('staff.signed_in_as', {
                  name: this.me.user.display_name || this.me.user.email,
                  role: t(`role.${this.me.user.role}`),
                })}</span>
                <button class="secondary" @click=${() => this.logout('user')}>${t('staff.logout')}</button>`
            : nothing}
          <praxis-lang-switch></praxis-lang-switch>
        </div>
      </header>
      <main>
        ${this.notice ? html`<div class="alert ok" role="status">${this.notice}</div>` : nothing}
        ${this.error && this.error.type !== 'mismatch'
          ? html`<div class="alert error" role="alert">${this.error.text()}</div>`
          : nothing}
        ${this.renderView()}
      </main>
      ${this.renderIdleDialog()}
    `;
  }

  private renderView() {
    switch (this.view) {
      case 'loading':
        return html`<p aria-live="polite">${t('loading')}</p>`;
      case 'login':
        return this.renderLogin();
      case 'enrol':
        return this.renderEnrol();
      case 'home':
        return this.renderHome();
    }
  }

  private renderLogin() {
    return html`<form class="narrow" @submit=${this.login}>
      <h2>${t('staff.login')}</h2>
      <div class="field">
        <label for="email">${t('staff.email')}</label>
        <input id="email" name="email" type="email" autocomplete="username" required />
      </div>
      <div class="field">
        <label for="password">${t('staff.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
      </div>
      <div class="field">
        <label for="second">${this.useRecovery ? t('staff.recovery') : t('staff.totp')}</label>
        <input
          id="second"
          name="second"
          type="text"
          autocomplete="one-time-code"
          inputmode=${this.useRecovery ? 'text' : 'numeric'}
          aria-describedby=${this.useRecovery ? nothing : 'second-hint'}
          required
        />
        ${this.useRecovery ? nothing : html`<div class="hint" id="second-hint">${t('staff.totp.hint')}</div>`}
      </div>
      <div class="row">
        <button type="submit" ?disabled=${this.busy}>${this.busy ? t('staff.logging_in') : t('staff.login')}</button>
        <button type="button" class="link" @click=${() => (this.useRecovery = !this.useRecovery)}>
          ${this.useRecovery ? t('staff.use_totp') : t('staff.use_recovery')}
        </button>
      </div>
    </form>`;
  }

  private renderEnrol() {
    if (!this.enrolToken) return html`<div class="alert error" role="alert">${t('enrol.missing')}</div>`;
    if (!this.secrets) {
      const mismatch = this.error?.type === 'mismatch';
      const passwordError = this.error?.fieldText('password');
      return html`<form class="narrow" @submit=${this.enrol}>
        <h2>${t('enrol.title')}</h2>
        <p>${t('enrol.step1')}</p>
        <div class="field">
          <label for="new-password">${t('staff.password')}</label>
          <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12"
            aria-describedby="password-hint" aria-invalid=${passwordError ? 'true' : 'false'} required />
          <div class="hint" id="password-hint">${t('staff.password.hint')}</div>
          ${passwordError ? html`<div class="field-error">${passwordError}</div>` : nothing}
        </div>
        <div class="field">
          <label for="repeat">${t('staff.password.repeat')}</label>
          <input id="repeat" name="repeat" type="password" autocomplete="new-password" required
            aria-invalid=${mismatch ? 'true' : 'false'} />
          ${mismatch ? html`<div class="field-error" role="alert">${t('staff.password.mismatch')}</div>` : nothing}
        </div>
        <button type="submit" ?disabled=${this.busy}>${t('enrol.continue')}</button>
      </form>`;
    }
    const s = this.secrets;
    return html`<form @submit=${this.confirmEnrolment}>
      <h2>${t('enrol.title')}</h2>
      <p>${t('enrol.step2')}</p>
      <img class="qr" alt=${t('enrol.qr')} src=${`data:image/svg+xml;base64,${btoa(s.qr_svg)}`} />
      <p>${t('enrol.secret')}</p>
      <p class="secret" data-secret=${s.totp_secret}>${s.totp_secret.replace(/(.{4})/g, '$1 ').trim()}</p>
      <p>${t('enrol.codes')}</p>
      <ul class="codes">
        ${s.recovery_codes.map((c) => html`<li>${c}</li>`)}
      </ul>
      <div class="field">
        <label class="row">
          <input type="checkbox" .checked=${this.codesSaved} @change=${(e: Event) => (this.codesSaved = (e.target as HTMLInputElement).checked)} />
          <span>${t('enrol.codes.saved')}</span>
        </label>
      </div>
      <div class="field narrow">
        <label for="totp">${t('staff.totp')}</label>
        <input id="totp" name="totp" type="text" inputmode="numeric" autocomplete="one-time-code" required
          aria-describedby="totp-hint" />
        <div class="hint" id="totp-hint">${t('staff.totp.hint')}</div>
      </div>
      <button type="submit" ?disabled=${this.busy || !this.codesSaved}>${t('enrol.confirm')}</button>
    </form>`;
  }

  private renderHome() {
    const tabs: [Section, string, boolean][] = [
      ['calendar', t('nav.calendar'), this.can('appointments.read')],
      ['patients', t('nav.patients'), this.can('patients.read')],
      ['inbox', this.pending.length ? t('nav.inbox.count', { n: this.pending.length }) : t('nav.inbox'), this.can('appointments.read')],
      ['settings', t('nav.settings'), this.can('scheduling.configure') && this.can('users.manage')],
      ['help', t('nav.help'), true],
    ];
    return html`<nav aria-label=${t('nav.label')}>
        <ul class="tabs">
          ${tabs
            .filter(([, , allowed]) => allowed)
            .map(
              ([id, label]) => html`<li>
                <button
                  class=${this.section === id ? '' : 'secondary'}
                  aria-current=${this.section === id ? 'page' : 'false'}
                  @click=${() => (this.section = id)}
                >
                  ${label}
                </button>
              </li>`,
            )}
        </ul>
      </nav>
      ${this.renderSection()}`;
  }

  private renderSection() {
    switch (this.section) {
      case 'calendar':
        return html`<praxis-calendar
          .csrf=${this.csrf()}
          .names=${this.names}
          .unreviewed=${new Set(this.pending.map((b) => b.appointment_id))}
        ></praxis-calendar>`;
      case 'inbox':
        return html`<praxis-inbox
          .bookings=${this.pending}
          .csrf=${this.csrf()}
          ?can-merge=${this.can('patients.delete')}
          @inbox-changed=${() => this.loadInbox()}
        ></praxis-inbox>`;
      case 'help':
        return html`<praxis-help></praxis-help>`;
      case 'settings':
        return html`<praxis-settings .csrf=${this.csrf()}></praxis-settings>`;
      case 'patients':
        return html`${this.renderSearch()}
          ${this.patientId
            ? html`<praxis-patient-view
                patient-id=${this.patientId}
                .csrf=${this.csrf()}
                @patient-changed=${(e: CustomEvent<string>) => this.names.forget(e.detail)}
                @show-access-log=${(e: CustomEvent<string>) => (this.accessLogFor = e.detail)}
              ></praxis-patient-view>`
            : nothing}
          ${this.accessLogFor && this.accessLogFor === this.patientId
            ? html`<praxis-access-log patient-id=${this.accessLogFor}></praxis-access-log>`
            : nothing}`;
    }
  }

  private renderSearch() {
    return html`<section>
      <div class="field">
        <label for="search">${t('search.label')}</label>
        <input
          id="search"
          type="search"
          autocomplete="off"
          aria-describedby="search-hint"
          aria-controls="results"
          .value=${this.query}
          @input=${(e: Event) => this.onQuery((e.target as HTMLInputElement).value)}
        />
        <div class="hint" id="search-hint">${t('search.hint')}</div>
      </div>
      <div id="results" aria-live="polite">
        ${this.hits === undefined
          ? nothing
          : this.hits.length === 0
            ? html`<p>${t('search.none')}</p>`
            : html`<ul class="results">
                ${this.hits.map(
                  (p) => html`<li data-patient=${p.id}>
                    <button
                      class="hit"
                      aria-pressed=${this.patientId === p.id ? 'true' : 'false'}
                      @click=${() => ((this.patientId = p.id), (this.accessLogFor = ''))}
                    >
                      <span><strong>${p.family_name}</strong>, ${p.given_names}</span>
                      <span>${formatDate(p.birth_date)}</span>
                    </button>
                  </li>`,
                )}
              </ul>
              ${this.nextCursor
                ? html`<button class="secondary" @click=${() => this.search(true)}>${t('search.more')}</button>`
                : nothing}`}
      </div>
    </section>`;
  }

  private renderIdleDialog() {
    return html`<dialog aria-labelledby="idle-title" @cancel=${(e: Event) => (e.preventDefault(), this.stay())}>
      <h2 id="idle-title">${t('idle.title')}</h2>
      <p>${t('idle.text', { n: this.idleLeft })}</p>
      <button @click=${() => this.stay()}>${t('idle.stay')}</button>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-staff-app': StaffApp;
  }
}
