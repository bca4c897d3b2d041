// Dates and times as German practices write them, always in the practice's zone.
import { lang } from './i18n';

export const zone = 'Europe/Berlin';

function locale(): string {
  return lang() === 'de' ? 'de-DE' : 'en-GB';
}

// "Mo., 30.11.2026"
export function formatDay(instantOrDate: string): string {
  const d = instantOrDate.length === 10 ? new Date(`${instantOrDate}T12:00:00Z`) : new Date(instantOrDate);
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'short',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    timeZone: instantOrDate.length === 10 ? 'UTC' : zone,
  }).format(d);
}

// "12.03.1980" for a calendar date (YYYY-MM-DD), e.g. a birth date.
export function formatDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return d && m && y ? `${d}.${m}.${y}` : isoDate;
}

// "Montag, 30. November 2026"
export function formatLongDay(instant: string): string {
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: zone,
  }).format(new Date(instant));
}

// "08:15"
export function formatTime(instant: string): string {
  return new Intl.DateTimeFormat('de-DE', { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(
    new Date(instant),
  );
}

// "30.11.2026, 08:15 Uhr"
export function formatDateTime(instant: string): string {
  const time = formatTime(instant);
  return `${formatDay(instant)}, ${time}${lang() === 'de' ? ' Uhr' : ''}`;
}

// The local date (YYYY-MM-DD) of an instant in the practice's zone.
export function localDate(instant: string | Date): string {
  const d = typeof instant === 'string' ? new Date(instant) : instant;
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    timeZone: zone,
  }).format(d);
  return parts; // en-CA formats as YYYY-MM-DD
}

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// "12.03.1980", "12.3.1980" or "1980-03-12" → "1980-03-12"; undefined if not a date.
export function parseGermanDate(text: string): string | undefined {
  const s = text.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (match) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else {
    match = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
    if (!match) return undefined;
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return undefined;
  }
  return date.toISOString().slice(0, 10);
}
