/**
 * The store never stores full card numbers (policy §2.2). Free text a customer writes may still
 * contain one; every run of 13 to 19 digits (spaces or dashes allowed between them) that passes
 * the Luhn check is replaced before the text is stored.
 */

const CANDIDATE = /\d(?:[ -]?\d){12,18}/g;
export const CARD_NUMBER_REPLACEMENT = '[card number removed]';

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function redactCardNumbers(text: string): { text: string; redactions: number } {
  let redactions = 0;
  const out = text.replace(CANDIDATE, (run) => {
    const digits = run.replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)) {
      redactions += 1;
      return CARD_NUMBER_REPLACEMENT;
    }
    return run;
  });
  return { text: out, redactions };
}
