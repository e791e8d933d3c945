/**
 * What the recorder may see of the page: rrweb's masking hooks, built from
 * the privacy options (one of them, for attributes, added to rrweb by
 * build.mjs), and a pass over what an event holds that no hook reaches
 * (changed attributes, URLs) before the event is buffered.
 */
import { closest, getAttribute, hasAttributes, matches, parentElement } from '../elements';
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
  /** False when `mask` and `unmask` are Playhead's own, which only match elements with attributes. */
  custom: boolean;
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
    custom: mask !== undefined || (!strict && !!unmask),
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


export interface Hooks {
  maskTextFn(text: string, el: HTMLElement | null): string;
  maskInputFn(text: string, el: HTMLElement): string;
  /** Masks the attributes of a serialised element in place; `el` is the element, or its node's ID in rrweb's mirror. */
  attributes(attributes: Record<string, unknown>, el: Element | number): void;
  /** Forgets the decisions remembered for elements: from now on the page may change the DOM. */
  reset(): void;
}

/**
 * Attributes that may carry personal data, by kind: 1 a URL (token
 * parameters redacted, PII in the query masked), 2 `srcset` (its URLs so),
 * 3 an iframe's `srcdoc` (masked whole: its document is recorded besides,
 * masked by its own nodes' rules), 4 text (masked whole where the
 * element's text is, else PII-masked), any other match PII-masked. One
 * regular expression: most attributes (class, style, id) match none, and
 * are passed over at the cost of one test.
 */
const ATTR =
  /^(?:(href|src|action|formaction|poster|cite|data|background|ping|xlink:href|longdesc|rr_src)|(srcset)|(srcdoc)|(placeholder|title|alt|label|value|aria-(?:label|description|valuetext|roledescription|placeholder))|content|summary|data-.*)$/;

/** `getNode` looks an element up by its node's ID in rrweb's mirror. */
export function makeHooks(policy: Policy, getNode: (id: number) => Element | null | undefined): Hooks {
  const either = policy.unmask ? policy.mask + ',' + policy.unmask : policy.mask;
  /**
   * What decides each element seen since the last `reset`: 1 the nearest
   * element (itself or an ancestor) matching a mask or unmask selector is a
   * mask (on the same element masking wins), 2 it is an unmask; with
   * neither, 3 when the element's text is editable, else 0. Editable: the
   * nearest `contenteditable` attribute (itself or an ancestor's) says so,
   * or the document's design mode. (`isContentEditable` would say the same,
   * besides CSS-only editing, but it first brings the page's style up to
   * date: during rrweb's pass over just-added nodes, a whole style
   * recalculation inside Playhead's hook.) rrweb serialises a snapshot or a
   * batch of mutations synchronously, so the DOM cannot change in between:
   * within one pass every element is looked at once, however deep the tree.
   * The recorder resets after each event and each rrweb callback.
   *
   * What an element was found to be is kept on the element itself, under a
   * symbol no page code knows (one per set of hooks: a recorder started
   * again counts passes from 1 again), stamped with the pass (pass +
   * decision / 4):
   * a Map keyed by elements cost more than the rest of the decision on a
   * large snapshot (each element hashed on first use), and a reset is one
   * increment.
   */
  const MEMO = Symbol(); // this instance's: another's passes count apart
  type Stamped = Element & { [MEMO]?: number };
  let pass = 1;
  const memo = (e: Element): number | undefined => {
    const m = (e as Stamped)[MEMO];
    return m !== undefined && Math.floor(m) === pass ? (m - pass) * 4 : undefined;
  };
  // the selectors are valid (see makePolicy); should matching throw all the same,
  // the event being serialised is dropped, never sent unmasked
  const kind = (e: Element | null): number => (e ? (matches(e, policy.mask) ? 1 : 2) : 0);
  /** What `el` is under; `memo` is left alone unless `remember`, and editing is then not told (0 for 3). */
  const nearest = (el: Element, remember?: boolean): number => {
    if (!remember) return kind(closest(el, either));
    const path: Element[] = [];
    let found: number | undefined;
    for (let e: Element | null = el; e && (found = memo(e)) === undefined; e = parentElement(e)) {
      path.push(e);
      // matching is the costly part: most elements have no attributes at all
      if ((policy.custom || hasAttributes(e)) && matches(e, either)) {
        found = kind(e);
        break;
      }
    }
    found ??= el.ownerDocument.designMode === 'on' ? 3 : 0;
    // from the top down, each element as its nearest contenteditable says
    for (let i = path.length; i--; ) {
      const v: string | null = found % 3 ? null : getAttribute(path[i], 'contenteditable');
      if (v !== null) found = v.toLowerCase() !== 'false' ? 3 : 0;
      try {
        (path[i] as Stamped)[MEMO] = pass + found / 4;
      } catch {
        // an element the page froze keeps nothing: it is looked at again
      }
    }
    return found;
  };
  /** True when text or a value is masked whole (not only its PII), given what `nearest` found. */
  const whole = (found: number, input?: boolean): boolean =>
    found === 1 || (found !== 2 && (input || found > 2 ? policy.inputs : policy.text));

  // input values change on the page's own calls (a value setter, an event it
  // dispatches), between which the DOM may change: nothing is remembered
  const maskInputFn = (text: string, el: HTMLElement): string =>
    whole(nearest(el), true) || alwaysMasked(el) ? '*'.repeat(text.length) : maskPII(text);

  return {
    maskInputFn,
    reset: () => {
      pass++;
    },
    maskTextFn(text, el) {
      if (!/\S/.test(text)) return text;
      const tag = el?.tagName;
      if (tag === 'STYLE' || tag === 'SCRIPT') return text;
      if (tag === 'TEXTAREA') return maskInputFn(text, el!);
      return whole(el ? nearest(el, true) : 0) ? stars(text) : maskPII(text);
    },
    attributes(attributes, of) {
      for (const name in attributes) {
        const value = attributes[name];
        const kind = typeof value === 'string' && value && ATTR.exec(name);
        if (!kind) continue;
        const el = kind[4] && (typeof of === 'number' ? getNode(of) : of);
        attributes[name] = kind[1]
          ? redactUrl(value)
          : kind[2]
            ? value.replace(/(^|,)(\s*)(\S+)/g, (_, c, s, url: string) => c + s + redactUrl(url))
            : kind[3] || (kind[4] && whole(el ? nearest(el, true) % 3 : 0))
              ? stars(value)
              : maskPII(value);
      }
    },
  };
}

/**
 * Masks, in place, what rrweb's own hooks do not reach in an event: changed
 * attributes, the page URL of a Meta event, and a FontFace's URLs. Text,
 * input values and the attributes of serialised elements (a snapshot's,
 * added nodes') were masked by `maskTextFn`, `maskInputFn` and
 * `attributes` as rrweb serialised them.
 */
export function scrubEvent(event: { type: number; data: unknown }, hooks: Hooks): void {
  const data = event.data as {
    source?: number;
    attributes?: Array<{ id: number; attributes: Record<string, unknown> }>;
    href?: string;
    fontSource?: string;
  };
  if (!data) return;
  if (event.type === 4 && data.href) data.href = redactUrl(data.href);
  // a FontFace's url() is relative to the page: made absolute, so the server can capture it
  if (event.type === 3 && data.source === 10 && data.fontSource)
    data.fontSource = data.fontSource.replace(/url\((['"]?)(.+?)\1\)/g, (_, q, url: string) => {
      try {
        url = new URL(url, location.href).href;
      } catch {}
      return `url(${q}${redactUrl(url)}${q})`;
    });
  if (event.type === 3 && data.source === 0) data.attributes?.forEach((change) => hooks.attributes(change.attributes, change.id));
}
