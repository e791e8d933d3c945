/**
 * What the recorder may see of the page: rrweb's masking hooks, built from
 * the privacy options, and a pass over each event's serialised nodes and
 * attributes (rrweb has no attribute hook) before the event is buffered.
 */
import { maskPII } from './pii';
import { redactUrl } from './secrets';

export type PrivacyPreset = 'strict' | 'default' | 'relaxed';

export interface Policy {
  /** Mask all page text (strict). */
  text: boolean;
  /** Mask all input, textarea, select and contenteditable values. */
  inputs: boolean;
  /** Subtrees whose text and values are masked whole. */
  mask: string;
  /** Subtrees where the "mask all" defaults are lifted (PII masking stays); empty in strict mode. */
  unmask: string;
  /** Elements recorded as empty boxes of the same size. */
  block: string;
}

const MEDIA = 'img,video,audio,canvas,picture,object,embed,svg image';

/** `selector` if it is valid, undefined when empty, null when invalid. */
function validSelector(selector: string | undefined): string | undefined | null {
  if (!selector) return undefined;
  try {
    document.createDocumentFragment().querySelector(selector);
    return selector;
  } catch {
    return null;
  }
}

export function makePolicy(
  preset: PrivacyPreset,
  maskAllInputs: boolean | undefined,
  maskSelector?: string,
  unmaskSelector?: string,
  blockSelector?: string,
): Policy {
  const strict = preset === 'strict';
  const mask = validSelector(maskSelector);
  const unmask = validSelector(unmaskSelector);
  const block = validSelector(blockSelector);
  return {
    text: strict,
    inputs: typeof maskAllInputs === 'boolean' ? maskAllInputs : preset !== 'relaxed',
    // an invalid maskSelector fails closed: everything is masked
    mask: mask === null ? '*' : '[data-private],[data-mask],.rr-mask' + (mask ? ',' + mask : ''),
    // strict means no page text at all: nothing opts back in
    unmask: strict ? '' : '[data-unmask]' + (unmask ? ',' + unmask : ''),
    block: '[data-block]' + (block ? ',' + block : '') + (strict ? ',' + MEDIA : ''),
  };
}

/**
 * Input fields masked whatever the options say: passwords (also one whose
 * type was switched from password), hidden inputs (CSRF tokens and the
 * like), card, IBAN, SSN and one-time-code fields by their autocomplete
 * token, name or id, and email and phone inputs.
 */
const SENSITIVE_FIELD = /pass(word|wd)|secret|token|\bcc[-_]|card|cvc|cvv|csc|iban|ssn|one-time-code/i;

function alwaysMasked(el: Element): boolean {
  const type = (el as HTMLInputElement).type;
  return (
    type === 'password' ||
    type === 'hidden' ||
    type === 'email' ||
    type === 'tel' ||
    el.hasAttribute('data-rr-is-password') ||
    SENSITIVE_FIELD.test([el.getAttribute('autocomplete'), el.getAttribute('name'), el.id].join(' '))
  );
}

const stars = (text: string): string => text.replace(/\S/g, '*');

function closest(el: Element, selector: string): Element | null {
  try {
    return el.closest(selector);
  } catch {
    return null;
  }
}

export interface Hooks {
  maskTextFn(text: string, el: HTMLElement | null): string;
  maskInputFn(text: string, el: HTMLElement): string;
  /** Masks the attributes of a serialised element in place; `el` looks up its DOM element. */
  attributes(attributes: Record<string, unknown>, el: () => Element | null | undefined): void;
}

/** Text-bearing attributes: masked whole where the text is, PII-masked elsewhere. */
const TEXT_ATTR = /^(placeholder|title|alt|label|value|aria-(label|description|valuetext|roledescription|placeholder))$/;
/** Other attributes that may carry personal data: PII-masked. */
const PII_ATTR = /^(content|summary|data-.*)$/;
/** Attributes holding a URL: token parameters redacted, PII in the query masked. */
const URL_ATTR = /^(href|src|action|formaction|poster|cite|data|background|ping|xlink:href|longdesc|rr_src)$/;

export function makeHooks(policy: Policy): Hooks {
  /** True when `el`'s text or value is masked whole (not only its PII). */
  const maskAll = (el: Element | null | undefined, input: boolean): boolean => {
    if (!el) return policy.text;
    const masked = closest(el, policy.mask);
    const unmasked = policy.unmask ? closest(el, policy.unmask) : null;
    // the nearer of the two wins; on the same element masking does
    if (masked) return !(unmasked && unmasked !== masked && masked.contains(unmasked));
    if (unmasked) return false;
    return input ? policy.inputs : policy.text;
  };

  const maskInputFn = (text: string, el: HTMLElement): string =>
    alwaysMasked(el) || maskAll(el, true) ? '*'.repeat(text.length) : maskPII(text);

  return {
    maskInputFn,
    maskTextFn(text, el) {
      if (!/\S/.test(text)) return text;
      const tag = el?.tagName;
      if (tag === 'STYLE' || tag === 'SCRIPT') return text;
      if (tag === 'TEXTAREA') return maskInputFn(text, el!);
      return maskAll(el, !!el?.isContentEditable) ? stars(text) : maskPII(text);
    },
    attributes(attributes, el) {
      for (const name in attributes) {
        const value = attributes[name];
        if (typeof value !== 'string' || !value) continue;
        if (URL_ATTR.test(name)) attributes[name] = redactUrl(value);
        else if (name === 'srcset') attributes[name] = value.replace(/(^|,)(\s*)(\S+)/g, (_, c, s, url: string) => c + s + redactUrl(url));
        else if (TEXT_ATTR.test(name)) attributes[name] = maskAll(el(), false) ? stars(value) : maskPII(value);
        else if (PII_ATTR.test(name)) attributes[name] = maskPII(value);
      }
    },
  };
}

/** A serialised rrweb node: `{id, type, attributes?, childNodes?}`. */
interface SerializedNode {
  id: number;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
}

/**
 * Masks, in place, what rrweb's own hooks do not reach in an event: the
 * attributes of every node of a full snapshot or of added nodes, changed
 * attributes, and the page URL of a Meta event. Text and input values were
 * already masked by `maskTextFn` and `maskInputFn` when rrweb serialised them.
 */
export function scrubEvent(event: { type: number; data: unknown }, hooks: Hooks, getNode: (id: number) => Element | null | undefined): void {
  const data = event.data as {
    node?: SerializedNode;
    source?: number;
    adds?: Array<{ node: SerializedNode }>;
    attributes?: Array<{ id: number; attributes: Record<string, unknown> }>;
    href?: string;
  };
  if (!data) return;
  const walk = (root: SerializedNode | undefined): void => {
    const stack = root ? [root] : [];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.attributes) hooks.attributes(node.attributes, () => getNode(node.id));
      if (node.childNodes) for (const child of node.childNodes) stack.push(child);
    }
  };
  if (event.type === 2) walk(data.node);
  else if (event.type === 3 && data.source === 0) {
    data.adds?.forEach((add) => walk(add.node));
    data.attributes?.forEach((change) => hooks.attributes(change.attributes, () => getNode(change.id)));
  } else if (event.type === 4 && data.href) data.href = redactUrl(data.href);
}
