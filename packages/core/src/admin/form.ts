import type { PlainRequest } from '../receive/plain-http.ts';

/** Fields a moderation form may hold: a page of 50 ticked items and the buttons, with room to spare. */
export const MAX_FORM_FIELDS = 256;

export type FormResult = { ok: true; form: URLSearchParams } | { ok: false; status: 413 | 415 | 400; why: string };

/**
 * A POSTed form, read the way browsers send plain HTML forms (`application/x-www-form-urlencoded`),
 * within the receiver's body cap: one linear pass (URLSearchParams), at most `MAX_FORM_FIELDS` fields.
 */
export function readForm(request: PlainRequest): FormResult {
  if (!request.complete) return { ok: false, status: 413, why: 'The form is too large.' };
  const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, status: 415, why: 'Send the form as application/x-www-form-urlencoded.' };
  const text = Buffer.from(request.body ?? new Uint8Array(0)).toString('utf8');
  let fields = 1;
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (++fields > MAX_FORM_FIELDS) return { ok: false, status: 413, why: 'The form has too many fields.' };
  }
  return { ok: true, form: new URLSearchParams(text) };
}
