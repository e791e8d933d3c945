/**
 * Detection and masking of personal data in free text. Pure functions: no
 * DOM, so the same module runs under Node in the unit tests.
 *
 * The Go server implements the same rules and runs the same test vectors
 * (testdata/pii-vectors.json), so every rule is a plain RE2-compatible regular
 * expression (no lookaround, no back-references) plus a check in code:
 *
 * - Kinds run one after the other, in the order of RULES, each on the output
 *   of the one before; a masked character is `*`, which no rule matches.
 * - A rule takes the leftmost-first, non-overlapping matches of its regex; a
 *   match its check refuses is left as it is and the search goes on after it.
 * - A kept match has every character replaced with `*` (matches are ASCII,
 *   so the length is the same in bytes and in UTF-16 units).
 */

export type PiiKind = 'email' | 'iban' | 'card' | 'ssn' | 'ip' | 'phone';

/** Returns how many characters of the match to mask from its start; 0 keeps it. */
type Check = (match: string, text: string, start: number) => number;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c);

/**
 * A number stands alone: the characters before and after it are not ASCII
 * letters or digits, nor a `.` or `,` that joins it to another digit
 * ("1.2.3.4.5", "12,4111…").
 */
function isolated(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  const after = text[end];
  return (
    !isAlnum(before) &&
    !((before === '.' || before === ',') && isDigit(text[start - 2])) &&
    !isAlnum(after) &&
    !((after === '.' || after === ',') && isDigit(text[end + 1]))
  );
}

const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** Luhn checksum of a string of digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616 check of an IBAN without spaces: mod 97 of the rearranged number is 1. */
export function ibanValid(iban: string): boolean {
  if (iban.length < 15 || iban.length > 34) return false;
  let rest = 0;
  for (const c of iban.slice(4) + iban.slice(0, 4)) {
    const value = parseInt(c, 36); // 0-9 → 0-9, A-Z → 10-35
    rest = (value > 9 ? rest * 100 + value : rest * 10 + value) % 97;
  }
  return rest === 1;
}

/** Keeps the whole match when `ok`, else nothing. */
const all = (ok: boolean, match: string): number => (ok ? match.length : 0);

/**
 * An IBAN: the longest prefix of the match, cut at a space, whose letters and
 * digits pass the mod-97 check (so "…7034 BANK" masks the IBAN, not "BANK").
 */
const checkIban: Check = (match, text, start) => {
  if (!isolated(text, start, start + match.length)) return 0;
  for (let end = match.length; end > 0; end = match.lastIndexOf(' ', end - 1)) {
    if (ibanValid(match.slice(0, end).replace(/ /g, ''))) return end;
  }
  return 0;
};

/** A card number: 13-19 digits, first digit 2-6 (the major networks), Luhn-valid. */
const checkCard: Check = (match, text, start) => {
  const d = digitsOf(match);
  return all(isolated(text, start, start + match.length) && d[0]! >= '2' && d[0]! <= '6' && luhn(d), match);
};

/** A US SSN: area 001-899 but not 666, group 01-99, serial 0001-9999. */
const checkSsn: Check = (match, text, start) => {
  const d = digitsOf(match);
  const area = +d.slice(0, 3);
  return all(
    isolated(text, start, start + match.length) && area > 0 && area < 900 && area !== 666 && +d.slice(3, 5) > 0 && +d.slice(5) > 0,
    match,
  );
};

const checkIpv4: Check = (match, text, start) =>
  all(isolated(text, start, start + match.length) && match.split('.').every((octet) => +octet <= 255), match);

/**
 * An IPv6 address with at least one digit: eight groups, or one `::` and two
 * to seven groups (so "A::B" and times like "12:30:45" are not addresses).
 */
const checkIpv6: Check = (match, text, start) => {
  const halves = match.split('::');
  const groups = match.split(':').filter(Boolean).length;
  return all(
    isolated(text, start, start + match.length) &&
      /\d/.test(match) &&
      (halves.length === 1
        ? groups === 8 && match.split(':').length === 8
        : halves.length === 2 && !/^:|:$/.test(halves[0]!) && !/^:|:$/.test(halves[1]!) && groups >= 2 && groups <= 7),
    match,
  );
};

/** A phone number whose digit count is within [min, max]. */
const phoneDigits =
  (min: number, max: number, sameSeparators?: boolean): Check =>
  (match, text, start) => {
    const n = digitsOf(match).length;
    const separators = match.replace(/[^ .-]/g, '');
    return all(
      isolated(text, start, start + match.length) &&
        n >= min &&
        n <= max &&
        // "05.11.2026 14" is a date and a time, not a phone number
        !(sameSeparators && new Set(separators).size > 1),
      match,
    );
  };

/**
 * The rules, in the order they run, each with what a text needs for it to
 * match at all: a character, or a number of digits (only a shortcut: a rule
 * is skipped when it cannot match).
 */
export const RULES: ReadonlyArray<[PiiKind, RegExp, Check, string | number]> = [
  ['email', /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}/g, (m) => m.length, '@'],
  ['iban', /[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?/g, checkIban, 2],
  ['card', /\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}|\d{4}[ -]?\d{6}[ -]?\d{4,5}/g, checkCard, 13],
  ['ssn', /\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}/g, checkSsn, 9],
  ['ip', /\d{1,3}(?:\.\d{1,3}){3}/g, checkIpv4, 4],
  ['ip', /[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}/g, checkIpv6, ':'],
  // international: +country code, then groups with optional single separators
  ['phone', /\+[1-9]\d{0,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,6}/g, phoneDigits(8, 15), 8],
  // North American: (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671
  ['phone', /\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]\d{4}/g, phoneDigits(10, 10), 10],
  // national with a trunk 0: 020 7946 0958, 030 901820, 01 42 68 53 00, 07700 900123
  ['phone', /\(?0[1-9]\d{0,4}\)?(?:[ .-]?\d{2,4}){1,4}/g, phoneDigits(9, 12, true), 9],
];

/**
 * Masks every email address, IBAN, payment card number, US SSN, IP address
 * and phone number in `text` with `*`, keeping its length. `found` gets each
 * masked span (for tests).
 */
export function maskPII(text: string, found?: (kind: PiiKind, start: number, end: number) => void): string {
  // masking only takes digits away: what `text` has is enough to tell which rules cannot match
  let digits = 0;
  for (let i = 0; i < text.length; i++) if ((text.charCodeAt(i) ^ 48) < 10) digits++;
  // with fewer than 8 digits (every phone number has more) only an email
  // address, an IBAN or an IP address can match, and each needs one of these
  if (digits < 8 && !/@|[A-Z]{2}\d\d|\d\.\d+\.\d+\.\d|:/.test(text)) return text;
  let out = text;
  for (const [kind, regex, check, need] of RULES) {
    if (typeof need === 'number' ? digits < need : out.indexOf(need) < 0) continue;
    regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(out))) {
      const length = check(match[0], out, match.index);
      if (length) {
        out = out.slice(0, match.index) + '*'.repeat(length) + out.slice(match.index + length);
        found?.(kind, match.index, match.index + length);
      }
    }
  }
  return out;
}
