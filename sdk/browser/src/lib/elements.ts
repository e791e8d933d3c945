// Element's own matches and closest, called on any element. A form's named
// controls are its properties: on a form with a control named matches (or
// closest), form.matches is that control, and calling it throws. The block
// test (rrweb's, rewritten in build.mjs) and the masking decision
// (privacy/dom.ts) call these instead, so such a form is recorded, masked
// and blocked like any other element.

export const matches = (e: Element, selector: string): boolean => Element.prototype.matches.call(e, selector);

export const closest = (e: Element, selector: string): Element | null => Element.prototype.closest.call(e, selector);
