// Element's and Node's own methods and getters, called on any element. A
// form's named controls are its properties: on a form with a control named
// matches, form.matches is that control, and calling it throws (a control
// named parentElement would send a walk up the tree round in a circle, and
// one named attributes hides the form's own). The block test and the
// serialiser's attribute pass (rrweb's, rewritten in build.mjs) and the
// masking decision (privacy/dom.ts) call these instead, so such a form is
// recorded, masked and blocked like any other element. Nothing here touches the DOM until
// called: the module is imported where there is none (server rendering).

export const matches = (e: Element, selector: string): boolean => Element.prototype.matches.call(e, selector);

export const closest = (e: Element, selector: string): Element | null => Element.prototype.closest.call(e, selector);

export const hasAttributes = (e: Element): boolean => Element.prototype.hasAttributes.call(e);

export const getAttribute = (e: Element, name: string): string | null => Element.prototype.getAttribute.call(e, name);

/** A getter of a prototype's, found on its first call. */
const own = <N, T>(proto: () => object, name: string): ((n: N) => T) => {
  let get: (() => T) | undefined;
  return (n) => (get ??= Object.getOwnPropertyDescriptor(proto(), name)!.get as () => T).call(n);
};

export const parentElement = own<Node, Element | null>(() => Node.prototype, 'parentElement');

/** The element's attributes (rrweb's serialiser reads them through this: see build.mjs). */
export const attributes = own<Element, NamedNodeMap>(() => Element.prototype, 'attributes');
