// The DOM's own methods and getters, called on any element. A
// form's named controls are its properties: on a form with a control named
// matches, form.matches is that control, and calling it throws (a control
// named parentElement would send a walk up the tree round in a circle). The
// block test and the handler of a changed attribute (rrweb's, rewritten in
// build.mjs) and the masking decision (privacy/dom.ts) call these instead,
// so that such a form is recorded and masked like any other element.
// Nothing here touches the DOM until called: the module is imported where
// there is none (server rendering).

export const matches = (e: Element, selector: string): boolean => Element.prototype.matches.call(e, selector);

export const closest = (e: Element, selector: string): Element | null => Element.prototype.closest.call(e, selector);

export const hasAttributes = (e: Element): boolean => Element.prototype.hasAttributes.call(e);

export const getAttribute = (e: Element, name: string): string | null => Element.prototype.getAttribute.call(e, name);

let up: (() => Element | null) | undefined;

export const parentElement = (n: Node): Element | null =>
  (up ??= Object.getOwnPropertyDescriptor(Node.prototype, 'parentElement')!.get as () => Element | null).call(n);

let styleGetter: (() => CSSStyleDeclaration) | undefined;

/**
 * A form's inline style, through HTMLElement's getter (a control named style
 * is the form's own property); a form of another frame's too.
 */
export const formStyle = (form: Element): CSSStyleDeclaration =>
  (styleGetter ??= Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'style')!.get as () => CSSStyleDeclaration).call(form);
