/**
 * Masked values are computed here, from the real value, when the matrix says "masked"; they
 * are never stored. Each keeps just enough to recognise the value, never enough to use it.
 */
import type { MaskKind } from './classification';

const DOTS = '•••';

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return DOTS;
  return `${email[0]}${DOTS}@${email.slice(at + 1)}`;
}

/** `+44 20 7946 0958` -> `+44 ••• ••• 0958`: the country code (if any) and the last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 6) return DOTS;
  const country = /^\+(\d{1,3})[\s-]/.exec(phone)?.[1];
  return `${country ? `+${country} ` : ''}${DOTS} ${DOTS} ${digits.slice(-4)}`;
}

/** The first part of a postal code (the area), e.g. `SW1A 1AA` -> `SW1A •••`, `10115` -> `10•••`. */
export function maskPostalCode(code: string): string {
  const trimmed = code.trim();
  const space = trimmed.indexOf(' ');
  if (space > 0) return `${trimmed.slice(0, space)} ${DOTS}`;
  return `${trimmed.slice(0, Math.min(2, trimmed.length))}${DOTS}`;
}

export function applyMask(kind: MaskKind, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const text = String(value);
  switch (kind) {
    case 'email':
      return maskEmail(text);
    case 'phone':
      return maskPhone(text);
    case 'postal_code':
      return maskPostalCode(text);
    case 'street':
      return DOTS;
    case 'shown':
      return value;
  }
}
