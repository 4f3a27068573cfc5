// Masking of personal data (REDACT_PII): e-mail addresses, phone numbers, payment card numbers
// (Luhn-checked), IBANs (mod-97-checked) and IPv4 addresses are replaced by a placeholder naming
// the kind ("[email]", "[phone]", "[card]", "[iban]", "[ip]"). Used by the logger, the Kafka
// producer (the fields the contracts topic map lists as personal data) and the tracing span
// processor. It is pattern matching: it lowers what reaches logs, events and traces, it does not
// prove that nothing personal does (names and addresses in free text are not recognised).

export type PiiKind = 'email' | 'iban' | 'card' | 'ipv4' | 'phone';

const placeholders: Record<PiiKind, string> = { email: '[email]', iban: '[iban]', card: '[card]', ipv4: '[ip]', phone: '[phone]' };

const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const email = new RegExp(`[A-Za-z0-9._%+-]{1,64}@${label}(?:\\.${label})*\\.[A-Za-z]{2,63}`, 'g');
// Country code, check digits, then 11-30 letters/digits, optionally in groups separated by one space.
const iban = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g;
// 13-19 digits in one run, or in groups of 4-4-4-4(-1..3) / 4-6-4(5) with one consistent separator.
const card = /(?<![\w-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-])/g;
const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4 = new RegExp(`(?<![\\w.])${octet}(?:\\.${octet}){3}(?![\\w]|\\.\\d)`, 'g');
// Not part of a longer run of digit groups (an account or card number, an IBAN's digits).
const phones = [
  // International: +<country code> then groups of digits (8 to 15 digits in all).
  /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w])/g,
  // (030) 1234567, (555) 123-4567
  /(?<![\w-])\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,5}(?![\w-])/g,
  // 555-123-4567, 555.123.4567, 555 123 4567
  /(?<![\w.-]|\d )\d{3}([ .-])\d{3}\1\d{4}(?![\w.-]| \d)/g,
  // National numbers with a trunk prefix: 030 1234567, 0170-1234567, 020 7946 0958
  /(?<![\w./-]|\d )0\d{2,4}[ /-]\d{3,8}(?:[ -]\d{2,5})?(?![\w./-]| \d)/g,
];

const digitsOf = (s: string) => s.replace(/\D/g, '');

/** The Luhn checksum (ISO/IEC 7812) that every payment card number satisfies. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 check: the rearranged IBAN read as a number is 1 modulo 97. */
export function ibanValid(candidate: string): boolean {
  const s = candidate.replace(/ /g, '').toUpperCase();
  if (s.length < 15 || s.length > 34 || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const n = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    remainder = (n > 9 ? remainder * 100 + n : remainder * 10 + n) % 97;
  }
  return remainder === 1;
}

/** The longest valid IBAN at the start of `m` (the pattern may have run into a following word). */
function maskIban(m: string): string {
  for (let end = m.length; end >= 15; end = m.lastIndexOf(' ', end - 1)) {
    if (ibanValid(m.slice(0, end))) return placeholders.iban + m.slice(end);
    if (end <= 0) break;
  }
  return m;
}

/** Loopback and the unspecified address name a machine's own interfaces, not a person. */
const nonPersonalIp = (ip: string) => ip.startsWith('127.') || ip === '0.0.0.0';

/** `text` with every e-mail address, IBAN, card number, IPv4 address and phone number masked. */
export function redactPii(text: string): string {
  if (text.length < 7) return text;
  let out = text.replace(email, placeholders.email);
  out = out.replace(iban, maskIban);
  out = out.replace(card, (m) => (luhnValid(digitsOf(m)) ? placeholders.card : m));
  out = out.replace(ipv4, (m) => (nonPersonalIp(m) ? m : placeholders.ipv4));
  for (const phone of phones) {
    out = out.replace(phone, (m) => {
      const n = digitsOf(m).length;
      return n >= 8 && n <= 15 ? placeholders.phone : m;
    });
  }
  return out;
}

/** The kinds of personal data `text` contains (for tests and diagnostics). */
export function findPii(text: string): PiiKind[] {
  const found = new Set<PiiKind>();
  const masked = redactPii(text);
  for (const [kind, placeholder] of Object.entries(placeholders) as Array<[PiiKind, string]>) {
    if (masked.split(placeholder).length > text.split(placeholder).length) found.add(kind);
  }
  return [...found];
}

const maxDepth = 12;

/**
 * A copy of `value` with every string in it masked (object keys are kept): plain objects, arrays
 * and errors (copied as errors of the same class) are walked; other values are kept. An object met
 * twice (the same input logged under two keys, a cycle) maps to the same masked copy every time.
 */
export function redactPiiDeep<T>(value: T, depth = 0, copies = new WeakMap<object, unknown>()): T {
  if (typeof value === 'string') return redactPii(value) as T;
  if (typeof value !== 'object' || value === null || depth > maxDepth) return value;
  if (copies.has(value)) return copies.get(value) as T;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    copies.set(value, out);
    for (const v of value) out.push(redactPiiDeep(v, depth + 1, copies));
    return out as T;
  }
  if (value instanceof Error) {
    // Still an error of the same class (loggers serialise errors specially), with its text masked.
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error & Record<string, unknown>;
    copies.set(value, copy);
    // Own enumerable properties, `cause` included when it was assigned as a plain property.
    for (const [k, v] of Object.entries(value)) copy[k] = redactPiiDeep(v, depth + 1, copies);
    Object.defineProperty(copy, 'message', { value: redactPii(value.message), writable: true, configurable: true });
    Object.defineProperty(copy, 'stack', { value: value.stack && redactPii(value.stack), writable: true, configurable: true });
    // A cause given as `new Error(msg, { cause })` is not enumerable: masked here, once.
    if (value.cause !== undefined && !Object.prototype.propertyIsEnumerable.call(value, 'cause')) {
      Object.defineProperty(copy, 'cause', { value: redactPiiDeep(value.cause, depth + 1, copies), writable: true, configurable: true });
    }
    return copy as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  copies.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = redactPiiDeep(v, depth + 1, copies);
  return out as T;
}

let enabled = false;

/** Turns masking of personal data in events on or off for this process (createRuntime sets it from REDACT_PII). */
export function setPiiRedaction(on: boolean): void {
  enabled = on;
}

export function piiRedactionEnabled(): boolean {
  return enabled;
}
