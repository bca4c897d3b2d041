// The German/English switch at the top of every page.
import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';

import { LanguageController, lang, setLang, t } from './i18n';
import { base } from './styles';

@customElement('praxis-lang-switch')
export class LangSwitch extends LitElement {
  static styles = [base];

  constructor() {
    super();
    new LanguageController(this);
  }

  render() {
    const other = lang() === 'de' ? 'en' : 'de';
    return html`<button class="link" lang=${other} aria-label=${t('lang.switch.label')} @click=${() => setLang(other)}>
      ${t('lang.switch')}
    </button>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'praxis-lang-switch': LangSwitch;
  }
}
