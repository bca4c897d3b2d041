// The look shared by the public pages: system fonts (nothing is fetched from elsewhere),
// contrast of at least 4.5:1, a focus ring that is always visible.
import { css } from 'lit';

export const base = css`
  :host {
    --accent: #0b5c8a;
    --accent-dark: #08486c;
    --accent-soft: #e6f0f6;
    --text: #1b1f23;
    --muted: #4a5560;
    --border: #8a96a3;
    --danger: #a4161a;
    --danger-soft: #fbeaea;
    --ok: #1e6b34;
    --ok-soft: #e8f4ec;
    --radius: 8px;
    display: block;
    color: var(--text);
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif;
    font-size: 1rem;
    line-height: 1.5;
  }
  h1, h2, h3 { line-height: 1.25; margin: 0 0 0.75rem; }
  h1 { font-size: 1.5rem; }
  h2 { font-size: 1.25rem; }
  h3 { font-size: 1.05rem; }
  p { margin: 0 0 0.75rem; }
  button, .button {
    font: inherit;
    border-radius: var(--radius);
    border: 2px solid var(--accent);
    background: var(--accent);
    color: #fff;
    padding: 0.55rem 1rem;
    cursor: pointer;
    text-decoration: none;
    display: inline-block;
  }
  button:hover, .button:hover { background: var(--accent-dark); border-color: var(--accent-dark); }
  button.secondary, .button.secondary { background: #fff; color: var(--accent); }
  button.secondary:hover, .button.secondary:hover { background: var(--accent-soft); }
  button.link {
    background: none; border: none; color: var(--accent); padding: 0.25rem; text-decoration: underline;
  }
  button.danger { background: var(--danger); border-color: var(--danger); }
  button[disabled] { opacity: 0.6; cursor: not-allowed; }
  button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible,
  textarea:focus-visible, [tabindex]:focus-visible {
    outline: 3px solid #f0a500;
    outline-offset: 2px;
  }
  a { color: var(--accent); }
  label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
  input[type='text'], input[type='email'], input[type='tel'], input[type='password'],
  input[type='search'], input[type='datetime-local'], select, textarea {
    font: inherit;
    width: 100%;
    box-sizing: border-box;
    padding: 0.5rem 0.6rem;
    border: 1px solid var(--border);
    border-radius: var(--radius);
    background: #fff;
    color: var(--text);
  }
  input[aria-invalid='true'], select[aria-invalid='true'] { border: 2px solid var(--danger); }
  .hint { color: var(--muted); font-size: 0.9rem; }
  .field { margin-bottom: 1rem; }
  .field-error { color: var(--danger); font-size: 0.9rem; margin-top: 0.2rem; }
  .alert { border-radius: var(--radius); padding: 0.75rem 1rem; margin-bottom: 1rem; }
  .alert.error { background: var(--danger-soft); color: var(--danger); border: 1px solid var(--danger); }
  .alert.ok { background: var(--ok-soft); color: var(--ok); border: 1px solid var(--ok); }
  .alert.info { background: var(--accent-soft); color: var(--text); border: 1px solid var(--accent); }
  .row { display: flex; gap: 0.75rem; flex-wrap: wrap; align-items: center; }
  .sr-only {
    position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
    clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
  }
  .card {
    border: 1px solid var(--border); border-radius: var(--radius); padding: 1rem; background: #fff;
  }
`;
