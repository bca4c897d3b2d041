// JSON over fetch against the praxis API (same origin). Errors arrive as RFC 9457
// problem documents; they become ApiError with the field errors and Retry-After.
import { pickLanguage, t } from './i18n';

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
    readonly fields: FieldError[] = [],
    readonly requestId = '',
    readonly retryAfter = 0,
  ) {
    super(detail);
  }

  // What to show the user, in the current language.
  text(): string {
    if (this.status === 0) return t('error.network');
    if (this.status === 429) return t('error.rate_limited', { n: this.retryAfter || 60 });
    if (this.status >= 500) return t('error.server', { id: this.requestId.slice(0, 8) || '–' });
    if (this.fields.length > 0 && this.status === 400) return t('error.fields');
    return pickLanguage(this.detail) || t('error.not_found');
  }

  // The message for one field ("patient.email"), in the current language.
  fieldText(field: string): string | undefined {
    const found = this.fields.find((f) => f.field === field);
    return found ? pickLanguage(found.message) : undefined;
  }
}

// Any failure of a call as an ApiError (network failures already are, with status 0).
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, 'network', '');
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const p = (data ?? {}) as {
      type?: string;
      detail?: string;
      errors?: FieldError[];
      request_id?: string;
    };
    throw new ApiError(
      response.status,
      p.type ?? '',
      p.detail ?? '',
      p.errors ?? [],
      p.request_id ?? response.headers.get('X-Request-Id') ?? '',
      Number(response.headers.get('Retry-After') ?? 0),
    );
  }
  return data as T;
}

// A fresh random key for Idempotency-Key headers.
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
