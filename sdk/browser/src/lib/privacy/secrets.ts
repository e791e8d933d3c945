/**
 * Redaction of secrets: token-like URL parameters, sensitive JSON and form
 * fields, credentials in free text. Pure functions (no DOM).
 */
import { maskPII } from './pii';

export const REDACTED = '[redacted]';

/**
 * URL parameters whose value is a secret: these names exactly, or any name
 * containing token, secret, passw or signature (case-insensitive).
 */
const SECRET_PARAM =
  /^(?:code|key|auth|sig|sid|jwt|session|session_?id|api_?key|x-(?:amz|goog)-credential)$|token|secret|passw|signature/i;

/**
 * JSON and form fields whose value is a secret: the name, lowercased and
 * without `-`, `_` and spaces, contains one of these.
 */
const SECRET_FIELD = /password|passwd|secret|token|apikey|authorization|card|cvv|cvc|ssn/;

/** A value that looks like a credential: a JWT, 32+ hex digits, 32+ base64 characters of mixed case and digits. */
export function looksSecret(value: string): boolean {
  return (
    /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(value) ||
    /^[0-9a-f]{32,}$/i.test(value) ||
    (/^[\w+/-]{32,}={0,2}$/.test(value) && /\d/.test(value) && /[a-z]/.test(value) && /[A-Z]/.test(value))
  );
}

export const isSecretParam = (name: string): boolean => SECRET_PARAM.test(name);
export const isSecretField = (name: string): boolean => SECRET_FIELD.test(name.toLowerCase().replace(/[-_\s]/g, ''));

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * Masks the values of `name=value` pairs (a query string, a fragment, a form
 * body): `[redacted]` for a secret name or a secret-looking value, PII
 * masking of the decoded value otherwise.
 */
export function maskParams(text: string, secretName: (name: string) => boolean): string {
  return text.replace(/(^|[?&#])([^=&#?]+)=([^&#]*)/g, (all, sep: string, name: string, value: string) => {
    const plain = decode(value);
    if (secretName(decode(name)) || looksSecret(plain)) return sep + name + '=' + REDACTED;
    const masked = maskPII(plain);
    return masked === plain ? all : sep + name + '=' + encodeURIComponent(masked);
  });
}

/**
 * A URL as Playhead records it: token-like query and fragment parameters
 * redacted, PII in the query and fragment masked. The scheme, host and path
 * are kept (replay fetches assets by them); `tel:` and `sms:` lose their
 * digits and `mailto:` its addresses.
 */
export function redactUrl(url: string): string {
  if (typeof url !== 'string') return url;
  if (/^(tel|sms|callto):/i.test(url)) return url.replace(/\d/g, '*');
  if (/^mailto:/i.test(url)) return maskPII(maskParams(url, isSecretParam));
  const at = url.search(/[?#]/);
  return at < 0 ? url : url.slice(0, at) + maskPII(maskParams(url.slice(at), isSecretParam));
}

/**
 * Free text (console arguments, error messages and stacks, header values,
 * request and response bodies): credentials after `Bearer`/`Basic`, JWTs,
 * secret URL parameters and `"field": value` / `field=value` pairs of secret
 * fields are redacted, and PII is masked.
 */
export function maskFreeText(text: string): string {
  // PII first: a card number after "card: " is masked whole, not cut at its first space
  return maskPII(text)
    .replace(/\b(Bearer|Basic|Token)\s+[\w.~+/=-]{8,}/gi, '$1 ' + REDACTED)
    .replace(/\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, REDACTED)
    .replace(/([?&#])([\w.[\]%-]{1,64})=([^&#\s"'<>)]*)/g, (all, sep: string, name: string, value: string) =>
      isSecretParam(name) || looksSecret(value) ? sep + name + '=' + REDACTED : all,
    )
    .replace(
      // names and quoted values are bounded so that long text costs linear time
      /(["']?)([\w-]{1,64})\1(\s*[:=]\s*)("(?:[^"\\]|\\.){0,4096}"|'[^']{0,4096}'|[^\s,;&{}\]"'[]+)/g,
      (all, quote: string, name: string, eq: string, value: string) =>
        isSecretField(name) && value.indexOf(REDACTED) < 0
          ? quote + name + quote + eq + (value[0] === '"' || value[0] === "'" ? value[0] + REDACTED + value[0] : REDACTED)
          : all,
    );
}
