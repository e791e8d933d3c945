// Builds dist/ from src/:
//   dist/playhead.iife.js     minified script-tag build, global `Playhead`, auto-init
//   dist/index.mjs            minified ES module
//   dist/index.d.ts           type declarations of the public API
//   dist/playhead-report.js   the report widget, script build: the Playhead server
//                             serves it at /sdk-report.js, where the script-tag
//                             build loads it from when the widget is first needed
//   dist/report.mjs           the report widget as an ES module, which
//                             dist/index.mjs imports on demand (import('./report.mjs'))
//
// The output is deterministic: the same sources and lockfile give
// byte-identical files (no timestamps, no absolute paths).
//
//   node build.mjs          build and print the sizes
//   node build.mjs --check  build in memory and fail if dist/ differs
//   node build.mjs --map DIR  only the script-tag build, with its source map, into DIR
//                             (for profiling: which of its code is rrweb's, which Playhead's)
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';
import ts from 'typescript';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const check = process.argv.includes('--check');
const mapArg = process.argv.indexOf('--map');
const mapDir = mapArg >= 0 ? process.argv[mapArg + 1] : undefined;
if (mapArg >= 0 && !mapDir) throw new Error('--map needs a directory');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

const banner = `/*! ${pkg.name} ${pkg.version} | includes rrweb (MIT License) https://github.com/rrweb-io/rrweb */`;

/**
 * Code of @rrweb/record that Playhead can never run, cut out of the bundle
 * (about 2.8 KB gzipped in all; the rewrites below save about 0.9 KB more). Each cut names the text it starts and ends
 * at, what it is replaced with, and what must hold for it to be dead; the
 * build fails if @rrweb/record's code is not laid out as expected.
 *
 * - canvas: Playhead always records with `recordCanvas: false`, so rrweb's
 *   canvas recorder (a CanvasManager class, its inline image worker and the
 *   2D/WebGL patches it reaches) is dead; it becomes a class with the no-op
 *   methods rrweb calls when canvas recording is off.
 * - cross-origin iframes: `recordCrossOriginIframes` is never set, so
 *   IframeManager never listens for the messages that the rest of its
 *   methods (and the mirrors they use) translate.
 * - inline images and canvas data URLs in serialised elements: Playhead
 *   never sets `inlineImages` or `recordCanvas`.
 * - the deprecated `mirror` export, and `hooks`, which Playhead never passes.
 * - rrdom's BaseRRNode: the recorder only ever meets real DOM nodes, so its
 *   one `instanceof BaseRRNode` test is always false; an empty class keeps it so.
 * - the slimDOM presets and head rules: Playhead passes
 *   `slimDOMOptions: { comment: true, script: true }` (checked in
 *   src/lib/recorder.ts), so only the comment and script rules can match.
 * - passing events to a parent frame: only done with
 *   `recordCrossOriginIframes`, which Playhead never sets.
 * - the NodeList/DOMTokenList forEach polyfill: every browser that runs the
 *   ES2020 build has both.
 * - waiting for the document: Playhead starts rrweb once the document is
 *   parsed (src/lib/playhead.ts, whenDomReady), so rrweb always takes its
 *   first snapshot at once.
 * - matching class names against regular expressions: Playhead leaves
 *   `blockClass` and `maskTextClass` at their defaults, which are strings.
 * - testing for a blocked element twice (its class, then `blockSelector`):
 *   Playhead's `blockSelector` names the block class too (checked in
 *   src/lib/recorder.ts), so one `matches` (or one `closest`, for an element
 *   or any of its ancestors) does; these run for every node added or moved
 *   and every input event. They are Element's own (src/lib/elements.ts): on
 *   a form with a control named matches, `form.matches` is that control,
 *   and rrweb's call of it threw (the snapshot, or the batch of mutations,
 *   was lost).
 * - `record.freezePage`, which Playhead never calls.
 * - the `maskAllInputs` presets (lists of input types): Playhead passes
 *   `maskInputOptions` itself (checked in src/lib/recorder.ts), and rrweb
 *   hands that object on to its snapshot as `maskAllInputs`.
 *
 * esbuild then drops every function only the cut code used.
 */
const recorderSource = await readFile(join(root, 'src/lib/recorder.ts'), 'utf8');
const playheadSource = await readFile(join(root, 'src/lib/playhead.ts'), 'utf8');
const domReadySource = await readFile(join(root, 'src/lib/domReady.ts'), 'utf8');
const SLIM_DOM = 'slimDOMOptions: { comment: true, script: true }';
const BLOCK_SELECTOR = "blockSelector: '.rr-block,' + options.policy.block";
const MASK_INPUT_OPTIONS = 'maskInputOptions: { input: true, textarea: true, select: true }';
const ENUMS = ['EventType', 'IncrementalSource', 'MouseInteractions', 'PointerTypes', 'CanvasContext', 'MediaInteractions', 'NodeType'];
const ENUM = /\nvar (\w+) = \/\* @__PURE__ \*\/ \(\((\w+)\) => \{\n((?:  \2\[\2\["\w+"\] = \d+\] = "\w+";\n)+)  return \2;\n\}\)\(\1 \|\| \{\}\);/g;

/**
 * Rewrites of the whole of @rrweb/record, after the cuts: they keep what the
 * code does and make it shorter. Each fails the build when its check fails.
 *
 * - enums: rrweb's TypeScript enums (`EventType`, `IncrementalSource`, …)
 *   become plain objects, and every `Enum.Member` becomes its number. rrweb
 *   never looks a name up by number: the only lookups by key are
 *   `MouseInteractions[eventKey]` over `Object.keys(MouseInteractions)`, which
 *   the object (without its number keys) still serves.
 * - class fields: rrweb's build turned them into `__publicField(this, …)`
 *   calls (define semantics); they become assignments, which is the same for
 *   classes without accessors or superclasses, as the check makes sure.
 *
 * And one fixes a leak: rrweb serialises a blocked element as an empty box,
 * but still observes its shadow root (when the element is serialised, or when
 * it attaches one), so that whatever changes inside it later is recorded.
 * ShadowDomManager.addShadowRoot now leaves the shadow roots of blocked
 * elements alone (the report widget lives in one).
 */
const SHADOW_ROOT_START = '\n  addShadowRoot(shadowRoot2, doc) {\n    if (!isNativeShadowDom(shadowRoot2)) return;\n';
const REWRITES = [
  {
    name: 'enums',
    apply(source) {
      const members = new Map();
      const objects = source.replace(ENUM, (_, name, __, body) => {
        const entries = [...body.matchAll(/\["(\w+)"\] = (\d+)\]/g)].map(([, key, value]) => [key, value]);
        members.set(name, new Map(entries));
        return `\nvar ${name} = { ${entries.map(([key, value]) => `${JSON.stringify(key)}: ${value}`).join(', ')} };`;
      });
      if (ENUMS.some((name) => !members.has(name)) || members.size !== ENUMS.length) return undefined;
      let unknown = false;
      const out = objects.replace(new RegExp(`(?<![\\w$.])(${ENUMS.join('|')})(?:\\.(\\w+)\\b|\\["(\\w+)"\\])`, 'g'), (all, name, key, quoted) => {
        const value = members.get(name).get(key ?? quoted);
        if (value === undefined) unknown = true;
        return value ?? all;
      });
      return unknown ? undefined : out;
    },
    check: (out) =>
      [...out.matchAll(new RegExp(`(?<![\\w$.])(${ENUMS.join('|')})\\b(?! = \\{)`, 'g'))].every(
        (m) => /^MouseInteractions(\[(eventKey|thisEventKey)\]|\)\.filter\(\n    \(key\) => Number\.isNaN\(Number\(key\)\))/.test(out.slice(m.index, m.index + 70)),
      ),
  },
  {
    name: 'class fields',
    apply: (source) =>
      source
        .replace(/\nvar __defNormalProp = [^\n]*\nvar __publicField = [^\n]*\n/, '\n')
        .replace(/__publicField\(this, "(\w+)"\);/g, 'this.$1 = void 0;')
        .replace(/__publicField\(this, "(\w+)", /g, 'this.$1 = ('),
    check: (out) => !/__publicField|__defNormalProp|\bextends\b/.test(out) && !/^\s+(get|set|static) [\w$]+\(/m.test(out),
  },
];

REWRITES.push({
  name: 'shadow roots of blocked elements',
  apply: (source) =>
    source.replace(
      SHADOW_ROOT_START,
      SHADOW_ROOT_START +
        '    if (isBlocked(shadowRoot2.host, this.bypassOptions.blockClass, this.bypassOptions.blockSelector, true)) return;\n',
    ),
  check: (out) =>
    out.split(SHADOW_ROOT_START).length === 2 &&
    out.includes('function isBlocked(node, blockClass, blockSelector, checkAncestors) {') &&
    /this\.bypassOptions = options\.bypassOptions;/.test(out) &&
    /bypassOptions: \{\n\s+blockClass,\n\s+blockSelector,/.test(out),
});

/**
 * rrweb runs each of its callbacks (mutation observer, event listeners,
 * patched setters) through `callbackWrapper`, which passes what they throw to
 * the `errorHandler` option. It now also calls `errorHandler()`, without an
 * error, whenever one of them returns: Playhead's masking hooks then forget
 * what they remembered of the DOM during that callback, before the page can
 * change it (src/lib/privacy/dom.ts).
 */
const WRAPPER_TRY = '\n  const rrwebWrapped = (...rest) => {\n    try {\n      return cb(...rest);\n    } catch (error) {\n      if (errorHandler && errorHandler(error) === true) {\n        return;\n      }\n      throw error;\n    }\n';
REWRITES.push({
  name: 'callback end',
  apply: (source) => source.replace(WRAPPER_TRY, WRAPPER_TRY + '    finally {\n      if (errorHandler) errorHandler();\n    }\n'),
  check: (out) => out.split(WRAPPER_TRY).length === 2 && /const callbackWrapper = \(cb\) => \{\n  if \(!errorHandler\) \{\n    return cb;\n  \}/.test(out),
});

/**
 * rrweb's warnings (a node it could not serialise, a failed snapshot, errors
 * it caught) went to the page's console, where Playhead's console recorder
 * would record them as the page's own output: they are dropped.
 */
REWRITES.push({
  name: 'warnings',
  apply: (source) => source.replace(/\bconsole\.warn\(/g, 'void ('),
  check: (out) => !/\bconsole\.warn\b/.test(out),
});

/**
 * rrweb locks its mutation buffers while it takes a full snapshot and
 * unlocked them only after a snapshot that succeeded: one that threw (or gave
 * nothing) left them locked, and every later change of the page was dropped.
 * A snapshot after the first is taken when the page comes back from the
 * back/forward cache, when a session rolls over, each time an error-sampled
 * session's ring starts a segment and at each checkoutEveryNms checkout. The
 * buffers are now unlocked however the snapshot ends.
 */
const SNAPSHOT_LOCK = '\n    mutationBuffers.forEach((buf) => buf.lock());\n    const node = snapshot(document, {\n';
const SNAPSHOT_UNLOCK = '\n    mutationBuffers.forEach((buf) => buf.unlock());\n';
REWRITES.push({
  name: 'snapshot unlock',
  apply: (source) =>
    source
      .replace(SNAPSHOT_LOCK, '\n    mutationBuffers.forEach((buf) => buf.lock());\n    try {\n    const node = snapshot(document, {\n')
      .replace(SNAPSHOT_UNLOCK, '\n    } finally {\n    mutationBuffers.forEach((buf) => buf.unlock());\n    }\n'),
  check: (out) =>
    out.includes('\n    try {\n    const node = snapshot(document, {\n') &&
    (out.match(/buf\.unlock\(\)/g) || []).length === 1 &&
    /\n    if \(!node\) \{\n      return void \("Failed to snapshot the document"\);\n    \}\n    wrappedEmit\(\s*\{\s*type: [\w.]+,\s*data: \{\s*node,[\s\S]{0,120}?\n    \} finally \{\n    mutationBuffers\.forEach\(\(buf\) => buf\.unlock\(\)\);\n    \}\n    if \(document\.adoptedStyleSheets/.test(out),
});

/**
 * A form's named controls are its properties: on a form with a control
 * named tagName or getAttribute, rrweb's handler of a changed attribute
 * threw on the form's `target.tagName` and `target.getAttribute(…)`, and
 * the whole batch of mutations it was in was lost (a form's class or
 * attribute set when it is sent or checked, say). A tag name that is not a
 * string is taken for a form's control (a page could also give an element
 * a tagName property of its own): the element is a form. That test holds
 * in any frame, where `instanceof HTMLFormElement`, rrweb's serialiser's,
 * does not. The value is read through Element's own method
 * (src/lib/elements.ts). A change of a form's value attribute still reads
 * its tagName, type and hasAttribute (rrweb's input path).
 */
const ATTRIBUTE_READS_FROM =
  '\n          const tagNameLower = toLowerCase(target.tagName);\n          let attributeName = m.attributeName;\n          let value = m.target.getAttribute(attributeName);\n';
const ATTRIBUTE_READS_TO =
  '\n          const tagNameLower = toLowerCase(typeof target.tagName === "string" ? target.tagName : "form");\n          let attributeName = m.attributeName;\n          let value = elementGetAttribute(target, attributeName);\n';
REWRITES.push({
  name: 'attribute reads',
  apply: (source) => source.replace(ATTRIBUTE_READS_FROM, ATTRIBUTE_READS_TO),
  check: (out) =>
    !out.includes(ATTRIBUTE_READS_FROM) &&
    out.split(ATTRIBUTE_READS_TO).length === 2 &&
    /\n        case "attributes": \{\n          const target = m\.target;\n          const tagNameLower = toLowerCase\(typeof target\.tagName === "string" \? target\.tagName : "form"\);\n/.test(out),
});

/**
 * rrweb deleted a property (`needBlock`) from every serialised element, which
 * turns each of those objects into a slow dictionary-mode object: the
 * JSON.stringify of a large mutation or snapshot then took two to three
 * times as long. It is set to undefined instead, which JSON leaves out just
 * the same; nothing else reads it.
 */
REWRITES.push({
  name: 'needBlock',
  apply: (source) => source.replace('\n    delete serializedNode.needBlock;\n', '\n    serializedNode.needBlock = void 0;\n'),
  check: (out) => (out.match(/\bneedBlock\b/g) || []).length === 5 && out.includes('recordChild = recordChild && !serializedNode.needBlock;'),
});

/**
 * rrweb's input listener masks a field's value every time it hears of it (an
 * input event, and again a moment later from its patched `value` setter),
 * then drops the result when it equals what it last sent. A value equal to
 * the one last masked for the same field is now passed over before masking:
 * masking it again could only give what was sent already. Checkboxes and
 * radios (whose state is not their value) are not passed over.
 */
const INPUT_HANDLER = '\n  function eventHandler(event) {\n    let target = getEventTarget(event);\n';
const INPUT_MASK = '\n    } else if (maskInputOptions[tagName.toLowerCase()] || maskInputOptions[type]) {\n';
REWRITES.push({
  name: 'input seen',
  apply: (source) =>
    source
      .replace('\nconst lastInputValueMap = /* @__PURE__ */ new WeakMap();\n', '\nconst lastInputValueMap = /* @__PURE__ */ new WeakMap();\nconst lastMaskedInput = /* @__PURE__ */ new WeakMap();\n')
      .replace(
        INPUT_HANDLER,
        INPUT_HANDLER +
          '    if (target && lastMaskedInput.get(target) === target.value && target.type !== "checkbox" && target.type !== "radio") return;\n',
      )
      .replace(INPUT_MASK, INPUT_MASK + '      lastMaskedInput.set(target, text);\n'),
  check: (out) =>
    out.split(INPUT_HANDLER).length === 2 &&
    out.split(INPUT_MASK).length === 2 &&
    (out.match(/\blastMaskedInput\b/g) || []).length === 3 &&
    /\n    let text = target\.value;\n    let isChecked = false;\n    const type = getInputType\(target\) \|\| "";\n    if \(type === "radio" \|\| type === "checkbox"\) \{\n      isChecked = target\.checked;\n    \} else if/.test(out),
});

/**
 * rrweb patches the `value`, `checked` and `selectedIndex` setters of form
 * fields to hear of changes a script makes without an input event, and ran
 * each call of its handler in a timer of its own, after the setter returns:
 * a page that sets values in a loop (a framework's controlled inputs, an
 * autofill, a paste handler) made one task per value set, each only to find
 * the value it had already sent. They now wait in one list, run in order by
 * one task posted to a message channel. Like the timer, that task comes
 * after the microtask in which rrweb's mutation observer gives a field just
 * added its id (a handler run before it would send the field's value under
 * no id, masked by where the field was, not where it went); unlike a timer,
 * a page clearing every timer cannot cancel it and leave the list waiting
 * for good. The channel is made at the first set, never when the bundle is
 * merely loaded. The one setter hook left in the bundle, form fields', runs
 * rrweb's handler through its error wrapper, which Playhead's errorHandler
 * makes swallow what it throws: one cannot stop the rest.
 */
const HOOK_SETTER = '\n      set(value) {\n        setTimeout(() => {\n          d.set.call(this, value);\n        }, 0);\n';
REWRITES.push({
  name: 'deferred setters',
  apply: (source) =>
    source
      .replace(
        HOOK_SETTER,
        '\n      set(value) {\n        if (deferredSets.push(() => d.set.call(this, value)) === 1) (deferredPort ||= deferredChannel()).postMessage(0);\n',
      )
      .replace(
        '\nfunction hookSetter(',
        '\nconst deferredSets = [];\nlet deferredPort;\nfunction deferredChannel() {\n  const channel = new MessageChannel();\n  channel.port1.onmessage = () => {\n    for (const set of deferredSets.splice(0)) set();\n  };\n  return channel.port2;\n}\nfunction hookSetter(',
      ),
  check: (out) => !out.includes(HOOK_SETTER) && (out.match(/\bdeferredSets\b/g) || []).length === 3 && (out.match(/\bdeferredPort\b/g) || []).length === 2 && out.split('\nfunction hookSetter(').length === 2,
});

/**
 * Options of rrweb's input observer Playhead does not set: `userTriggered`
 * in input events (`userTriggeredOnInput`) and recording inputs only on
 * `change` (`sampling.input`).
 */
const INPUT_EVENTS = '\n  const events = sampling.input === "last" ? ["change"] : ["input", "change"];\n';
REWRITES.push({
  name: 'input options',
  apply: (source) =>
    source
      .replace('userTriggeredOnInput ? { text, isChecked, userTriggered } : { text, isChecked }', '{ text, isChecked }')
      .replace('userTriggeredOnInput ? { text: text2, isChecked: !isChecked, userTriggered: false } : { text: text2, isChecked: !isChecked }', '{ text: text2, isChecked: !isChecked }')
      .replace(INPUT_EVENTS, '\n  const events = ["input", "change"];\n'),
  check: (out) =>
    !/userTriggeredOnInput \?/.test(out) && !out.includes(INPUT_EVENTS) && !/userTriggeredOnInput|sampling: \{[^}]*input/.test(recorderSource) &&
    recorderSource.includes('sampling: { mousemove: 50, scroll: 150 }'),
});

/**
 * rrweb read the window's scroll position with fallbacks for browsers
 * without `document.scrollingElement` nor `pageXOffset` (before 2016).
 * The fallback for a document without a scrolling element (quirks mode
 * with a scrollable body) stays.
 */
const WINDOW_SCROLL = /\nfunction getWindowScroll\(win\) \{\n  var _a2, _b, _c, _d;\n  const doc = win\.document;\n  return \{\n    left: doc\.scrollingElement \? doc\.scrollingElement\.scrollLeft : win\.pageXOffset !== void 0 \? win\.pageXOffset : [^\n]*\n    top: doc\.scrollingElement \? doc\.scrollingElement\.scrollTop : win\.pageYOffset !== void 0 \? win\.pageYOffset : [^\n]*\n  \};\n\}\n/;
REWRITES.push({
  name: 'window scroll',
  apply: (source) =>
    source.replace(
      WINDOW_SCROLL,
      '\nfunction getWindowScroll(win) {\n  const el = win.document.scrollingElement;\n  return { left: el ? el.scrollLeft : win.pageXOffset, top: el ? el.scrollTop : win.pageYOffset };\n}\n',
    ),
  check: (out) => !WINDOW_SCROLL.test(out) && out.includes('return { left: el ? el.scrollLeft : win.pageXOffset, top: el ? el.scrollTop : win.pageYOffset };'),
});

/**
 * rrweb has no hook for attributes: Playhead masked them by walking every
 * node of each snapshot and of each mutation's added nodes once rrweb had
 * serialised them, looking each element up again by its id. rrweb now
 * hands each element's attributes, as it serialises the element, to
 * `record.scrubAttributes` (set by src/lib/recorder.ts): every element of
 * a snapshot, an added subtree, an iframe's document or a shadow root goes
 * through that one function. Changed attributes, which rrweb reads apart
 * from it, are still masked from the event (scrubEvent).
 */
const ELEMENT_END = '\n  let isCustomElement;\n  try {\n    if (customElements.get(tagName)) isCustomElement = true;\n';
REWRITES.push({
  name: 'attribute hook',
  // called unconditionally: were it ever unset, serialising would fail
  // (and the event be dropped), never send attributes unmasked
  apply: (source) => source.replace(ELEMENT_END, '\n  record.scrubAttributes(attributes, n);' + ELEMENT_END),
  check: (out) =>
    out.split(ELEMENT_END).length === 2 &&
    /\nfunction serializeElementNode\(n, options\) \{\n(?:.*\n)*?  record\.scrubAttributes\(attributes, n\);\n  let isCustomElement;/.test(out) &&
    // attributes objects are made in serializeElementNode (twice) and for
    // changed attributes in the mutation buffer (twice), nowhere else
    (out.match(/\battributes: \{\}|\battributes = \{/g) || []).length === 4 &&
    recorderSource.includes('.scrubAttributes = hooks.attributes'),
});

/**
 * rrweb took an element's children (and a shadow root's) by copying its
 * child list into an array through the list's iterator: for every element
 * it serialised, a snapshot's or an added subtree's, a list object, an
 * iterator and an array. The array is now filled from the first child to
 * each next sibling, through the same untainted accessors, before any child
 * is serialised: the same children in the same order, taken at the same
 * moment (serialising a child can run page code, a patched getter, and
 * rrweb itself may add a helper frame to the body then). Its mutation
 * buffer, collecting an added subtree, called the live list's forEach with
 * a closure for each node; it takes the same array now, so that page code
 * its block test runs (a patched `matches`) cannot make it skip a child
 * either. A full snapshot of a 100,000-node page takes about three
 * quarters of the time it took (the page of the overhead area's page-load
 * workload in bench/, its snapshot taken again and timed).
 */
const CHILD_LIST =
  '\nfunction nextSibling(n) {\n  return getUntaintedAccessor("Node", n, "nextSibling");\n}\n';
const CHILD_LOOPS = ['n', 'shadowRootEl'].map((of) => [
  `\n      for (const childN of Array.from(index.childNodes(${of}))) {\n        const serializedChildNode = serializeNodeWithId(childN, bypassOptions);\n`,
  `\n      for (const childN of childList(${of})) {\n        const serializedChildNode = serializeNodeWithId(childN, bypassOptions);\n`,
]);
CHILD_LOOPS.push([
  '\n        index.childNodes(n).forEach((childN) => this.genAdds(childN));\n',
  '\n        for (const childN of childList(n)) this.genAdds(childN);\n',
]);
REWRITES.push({
  name: 'child list',
  apply: (source) =>
    CHILD_LOOPS.reduce((s, [from, to]) => s.replace(from, to), source).replace(
      CHILD_LIST,
      CHILD_LIST + 'function childList(n) {\n  const list = [];\n  for (let c = firstChild(n); c; c = nextSibling(c)) list.push(c);\n  return list;\n}\n',
    ),
  check: (out) =>
    CHILD_LOOPS.every(([from, to]) => !out.includes(from) && out.split(to).length === 2) &&
    out.split(CHILD_LIST).length === 2 &&
    (out.match(/\bchildList\(/g) || []).length === 4 &&
    // both loops in serializeNodeWithId's body (no top-level function begins before them)
    /\nfunction serializeNodeWithId\(n, options\) \{\n(?:(?!function ).*\n)*?      for \(const childN of childList\(n\)\) \{\n(?:(?!function ).*\n)*?      for \(const childN of childList\(shadowRootEl\)\) \{\n/.test(out) &&
    /\nfunction firstChild\(n\) \{\n  return getUntaintedAccessor\("Node", n, "firstChild"\);\n\}\n/.test(out),
});

/**
 * Three more costs rrweb paid for every element or node it serialised: the
 * element's attribute map was fetched from the DOM for its length and again
 * for each attribute (it is the same live map: it is fetched once, through
 * Element's own getter, as rrweb reads a node's children: on a form, a
 * control named "attributes" is what the form's own property gives); the
 * custom element registry was asked about every tag name, when only a valid
 * custom element name, which has a hyphen, can be defined there
 * (getValidTagName gives the name in lower case, or "div" or "form"); and
 * each node's id was added to its serialised object through Object.assign
 * from a new object, where it is now set on it (the same object, the same
 * properties in the same order). Whether an attribute is a media element's
 * autoplay, asked of every attribute serialised or changed, was asked of a
 * new array each time.
 */
const ELEMENT_PASSES = [
  [
    '\n  const len = n.attributes.length;\n  for (let i = 0; i < len; i++) {\n    const attr = n.attributes[i];\n',
    '\n  const attrs = getUntaintedAccessor("Element", n, "attributes");\n  const len = attrs.length;\n  for (let i = 0; i < len; i++) {\n    const attr = attrs[i];\n',
  ],
  ['\n    if (customElements.get(tagName)) isCustomElement = true;\n', '\n    if (tagName.includes("-") && customElements.get(tagName)) isCustomElement = true;\n'],
  ['\n  const serializedNode = Object.assign(_serializedNode, { id });\n', '\n  const serializedNode = _serializedNode;\n  serializedNode.id = id;\n'],
  ['\n  return ["video", "audio"].includes(tagName) && toLowerCase(name) === "autoplay";\n', '\n  return (tagName === "video" || tagName === "audio") && toLowerCase(name) === "autoplay";\n'],
];
REWRITES.push({
  name: 'element passes',
  apply: (source) => ELEMENT_PASSES.reduce((s, [from, to]) => s.replace(from, to), source),
  check: (out) =>
    ELEMENT_PASSES.every(([from, to]) => !out.includes(from) && out.split(to).length === 2) &&
    !/\bn\.attributes\[/.test(out) &&
    // the attribute and registry passes in serializeElementNode, the id in serializeNodeWithId
    /\nfunction serializeElementNode\(n, options\) \{\n(?:(?!function ).*\n)*?  const tagName = getValidTagName\(n\);\n(?:(?!function ).*\n)*?  const attrs = getUntaintedAccessor\(\"Element\", n, \"attributes\"\);\n(?:(?!function ).*\n)*?    if \(tagName\.includes\("-"\) && customElements\.get\(tagName\)\) isCustomElement = true;\n/.test(out) &&
    /\nfunction serializeNodeWithId\(n, options\) \{\n(?:(?!function ).*\n)*?  const _serializedNode = serializeNode\(n, \{\n(?:(?!function ).*\n)*?  const serializedNode = _serializedNode;\n  serializedNode\.id = id;\n  mirror2\.add\(n, serializedNode\);\n/.test(out),
});

/**
 * A changed style attribute is sent as the properties that differ from its
 * old value. rrweb read the old value by parsing it into a new, detached
 * element's style, and asked that element about each property: for a style
 * attribute that had no value before, an element made, and two questions
 * asked for every property, whose answers are always "". Without an old
 * value no element is made now, and each property is compared with "". The
 * element's style declaration is fetched once for all its properties (a
 * form's through HTMLElement's getter, which works on a form of any frame:
 * a control named style is the form's property; src/lib/elements.ts), and
 * both declarations are read by index (rrweb went through their iterators,
 * which read the same indexes). The whole block is replaced, and the build
 * fails unless rrweb's is exactly the one below.
 */
// rrweb's block (the first of each pair) and Playhead's, in the parts
// they share and the two they differ in
const STYLE_DIFF = [
  `
            if (attributeName === "style") {
              if (!this.unattachedDoc) {
                try {
                  this.unattachedDoc = document.implementation.createHTMLDocument();
                } catch (e) {
                  this.unattachedDoc = this.doc;
                }
              }`,
  [
    `
              const old = this.unattachedDoc.createElement("span");
              if (m.oldValue) {
                old.setAttribute("style", m.oldValue);
              }
              for (const pname of Array.from(target.style)) {
                const newValue = target.style.getPropertyValue(pname);
                const newPriority = target.style.getPropertyPriority(pname);
                if (newValue !== old.style.getPropertyValue(pname) || newPriority !== old.style.getPropertyPriority(pname)) {`,
    `
              const style = tagNameLower === "form" ? elementFormStyle(target) : target.style;
              let old;
              if (m.oldValue) {
                const span = this.unattachedDoc.createElement("span");
                span.setAttribute("style", m.oldValue);
                old = span.style;
              }
              for (let i = 0; i < style.length; i++) {
                const pname = style[i];
                const newValue = style.getPropertyValue(pname);
                const newPriority = style.getPropertyPriority(pname);
                if (newValue !== (old ? old.getPropertyValue(pname) : "") || newPriority !== (old ? old.getPropertyPriority(pname) : "")) {`,
  ],
  `
                  if (newPriority === "") {
                    item.styleDiff[pname] = newValue;
                  } else {
                    item.styleDiff[pname] = [newValue, newPriority];
                  }
                } else {
                  item._unchangedStyles[pname] = [newValue, newPriority];
                }
              }`,
  [
    `
              for (const pname of Array.from(old.style)) {
                if (target.style.getPropertyValue(pname) === "") {`,
    `
              if (old) for (let i = 0; i < old.length; i++) {
                const pname = old[i];
                if (style.getPropertyValue(pname) === "") {`,
  ],
  `
                  item.styleDiff[pname] = false;
                }
              }
            } else if (attributeName === "open" && target.tagName === "DIALOG") {
`,
];
const STYLE_DIFF_FROM = STYLE_DIFF.map((part) => (typeof part === 'string' ? part : part[0])).join('');
const STYLE_DIFF_TO = STYLE_DIFF.map((part) => (typeof part === 'string' ? part : part[1])).join('');
REWRITES.push({
  name: 'style diff',
  apply: (source) => (source.split(STYLE_DIFF_FROM).length === 2 ? source.replace(STYLE_DIFF_FROM, STYLE_DIFF_TO) : undefined),
  check: (out) =>
    !out.includes(STYLE_DIFF_FROM) &&
    out.split(STYLE_DIFF_TO).length === 2 &&
    // in the mutation buffer's case for a changed attribute
    /\n        case "attributes": \{\n(?:(?!        case ).*\n)*?            if \(attributeName === "style"\) \{\n              if \(!this\.unattachedDoc\) \{\n/.test(out),
});

/**
 * Playhead hands every text to its own masking function (maskTextSelector
 * "*", which every element matches): whether a text is to be masked, the
 * answer is yes once it has an element. rrweb first looked for an ancestor
 * with its mask class, up the whole tree, for each node a mutation added.
 * The answer differs only where rrweb's own lookup throws (it then said "do
 * not mask"; here it is "mask"): an element whose closest or matches is not
 * the DOM's, as in a form with a control of that name (a form's controls
 * shadow its methods). rrweb's block test, which runs first, throws there
 * too, and drops the whole mutation. The whole function is pinned: the
 * build fails if rrweb's differs.
 */
const TEXT_MASK_FROM = `
function needMaskingText(node, maskTextClass, maskTextSelector, checkAncestors) {
  let el;
  if (isElement(node)) {
    el = node;
    if (!index.childNodes(el).length) {
      return false;
    }
  } else if (index.parentElement(node) === null) {
    return false;
  } else {
    el = index.parentElement(node);
  }
  try {
    if (typeof maskTextClass === "string") {
      if (checkAncestors) {
        if (el.closest(\`.\${maskTextClass}\`)) return true;
      } else {
        if (el.classList.contains(maskTextClass)) return true;
      }
    } else {
      if (classMatchesRegex(el, maskTextClass, checkAncestors)) return true;
    }
    if (maskTextSelector) {
      if (checkAncestors) {
        if (el.closest(maskTextSelector)) return true;
      } else {
        if (el.matches(maskTextSelector)) return true;
      }
    }
  } catch (e) {
  }
  return false;
}
`;
const TEXT_MASK_TO = TEXT_MASK_FROM.replace('\n  try {\n', '\n  if (maskTextSelector === "*") return true;\n  try {\n');
REWRITES.push({
  name: 'text mask test',
  apply: (source) => (source.split(TEXT_MASK_FROM).length === 2 ? source.replace(TEXT_MASK_FROM, TEXT_MASK_TO) : undefined),
  check: (out) => !out.includes(TEXT_MASK_FROM) && out.split(TEXT_MASK_TO).length === 2 && /\n    maskTextSelector: '\*',\n/.test(recorderSource),
});

/**
 * Internal property names (rrweb's options as its parts pass them to one
 * another, and its managers) are shortened by esbuild (`mangleProps` below),
 * about 400 bytes gzipped. None of them is in an event, in Playhead's public
 * options or in anything another script reads. rrweb's mutation buffer
 * copied its options by name, from a list of strings that would not be
 * shortened with them: it now assigns each one.
 */
const MANGLED = [
  'maskInputOptions', 'stylesheetManager', 'inlineStylesheet', 'dataURLOptions', 'maskTextSelector', 'keepIframeSrcFn', 'slimDOMOptions',
  'maskTextClass', 'recordCrossOriginIframes', 'bypassOptions', 'onStylesheetLoad', 'stylesheetLoadTimeout', 'processedNodeManager',
  'newlyAddedElement', 'canvasManager', 'shadowDomManager', 'crossOriginIframeStyleMirror', 'preserveWhiteSpace', 'iframeLoadTimeout',
  'restoreHandlers', 'iframeManager', 'mutationCb', 'maskInputFn', 'maskTextFn', 'blockClass', 'ignoreClass', 'ignoreSelector', 'needsMask',
  'onSerialize', 'onIframeLoad', 'sampling', 'mirror', 'doc', 'scrubAttributes',
  // the mutation buffer's, the mirrors' and the managers' own state
  'styleMirror', 'removesSubTreeCache', 'nodeMetaMap', 'trackedLinkElements', 'adoptedStyleSheetCb', 'attributeMap',
  'genTextAreaValueMutation', 'unattachedDoc', 'droppedSet', 'styleIDMap', 'idStyleMap', 'crossOriginIframeMirror',
  'crossOriginIframeMap', 'crossOriginIframeRootIdMap', 'idNodeMap', 'trackLinkElement', 'attachLinkElement',
  'trackStylesheetInLinkElement', 'movedSet', 'addedSet', 'mapRemoves', 'movedMap',
];
const BUFFER_INIT = /\n  init\(options\) \{\n    \[\n((?:      "\w+",?\n)+)    \]\.forEach\(\(key\) => \{\n      this\[key\] = options\[key\];\n    \}\);\n  \}/;
REWRITES.push({
  name: 'mutation buffer init',
  apply: (source) =>
    source.replace(BUFFER_INIT, (_, list) =>
      '\n  init(options) {\n' + [...list.matchAll(/"(\w+)"/g)].map(([, key]) => `    this.${key} = options.${key};\n`).join('') + '  }',
    ),
  check: (out) =>
    !BUFFER_INIT.test(out) &&
    out.includes('\n  init(options) {\n    this.mutationCb = options.mutationCb;\n') &&
    // no other name of MANGLED is written in quotes (a string esbuild would leave as it is)
    !new RegExp(`["'\`](${MANGLED.join('|')})["'\`]`).test(out.replace(/__publicField\(this, "\w+"/g, '')),
});

function applyRewrite(source, rewrite) {
  const out = rewrite.apply(source);
  if (out === undefined || out === source || !rewrite.check(out)) {
    throw new Error(`@rrweb/record changed shape: review the "${rewrite.name}" rewrite in build.mjs`);
  }
  return out;
}

const STUB_METHODS = ['reset', 'freeze', 'unfreeze', 'lock', 'unlock'];
const CUTS = [
  {
    name: 'canvas recorder',
    from: '\nconst jsContent = ',
    to: '\nclass CanvasManager {',
    toEnd: '\n}\n',
    replacement: `\nclass CanvasManager{${STUB_METHODS.map((name) => `${name}(){}`).join('')}}\n`,
    check: (cut, rest) =>
      cut.includes('function WorkerWrapper(') && cut.includes('initCanvasMutationObserver(') &&
      !/\b(jsContent|WorkerWrapper)\b/.test(rest) &&
      rest.includes('new CanvasManager({') && rest.includes('recordCanvas = false') &&
      [...rest.matchAll(/canvasManager\.(\w+)\(/g)].every((m) => STUB_METHODS.includes(m[1])),
  },
  {
    name: 'cross-origin iframe messages',
    from: '\n  handleMessage(message) {',
    toEnd: '\n}\n',
    keepEnd: true,
    replacement: '\n  handleMessage() {}',
    check: (cut, rest) =>
      cut.includes('transformCrossOriginEvent(iframeEl, e) {') &&
      !/\b(transformCrossOriginEvent|replaceIdOnNode|patchRootIdOnNode|replaceStyleIds|replaceIds)\b/.test(rest) &&
      rest.includes('recordCrossOriginIframes = false') &&
      /if \(this\.recordCrossOriginIframes\) \{\s*window\.addEventListener\("message"/.test(rest),
  },
  {
    name: 'cross-origin iframe mirror',
    from: '\nclass CrossOriginIframeMirror {',
    toEnd: '\n}\n',
    replacement: '\nclass CrossOriginIframeMirror {}\n',
    check: (cut, rest) => !/crossOrigin(Iframe|IframeStyle)Mirror\.\w+\(/.test(rest),
  },
  {
    name: 'inline images and canvas data URLs',
    from: '\n  if (tagName === "canvas" && recordCanvas) {',
    to: '\n  if (["audio", "video"].includes(tagName)) {',
    replacement: '\n',
    check: (cut, rest) =>
      cut.includes('if (tagName === "img" && inlineImages) {') &&
      (rest.match(/\b(canvasService|canvasCtx)\b/g) || []).length === 2 && // their declarations
      rest.includes('inlineImages = false'),
  },
  {
    name: 'deprecated mirror export',
    from: '\nconst DEPARTED_MIRROR_ACCESS_WARNING = ',
    to: '\nfunction throttle(',
    replacement: '\n',
    check: (cut, rest) => !/\b_mirror\b/.test(rest) && !rest.includes('DEPARTED_MIRROR_ACCESS_WARNING'),
  },
  {
    name: 'hooks',
    from: '\nfunction mergeHooks(o, hooks) {',
    toEnd: '\n}\n',
    replacement: '\nfunction mergeHooks() {}\n',
    check: (cut, rest) => cut.includes('hooks.mutation') && rest.includes('function initObservers(o, hooks = {}) {'),
  },
  {
    name: 'BaseRRNode',
    from: '\nclass BaseRRNode {',
    toEnd: '\n}\n',
    replacement: '\nclass BaseRRNode {}\n',
    check: (cut, rest) =>
      cut.includes('RRDomException') &&
      (rest.match(/\bBaseRRNode\b/g) || []).length === 1 && rest.includes('if (n instanceof BaseRRNode && "shadowRoot" in n) {'),
  },
  {
    name: 'slimDOM presets',
    from: '\n  if (_slimDOMOptions === true || _slimDOMOptions === "all") {',
    to: '\n  } else if (_slimDOMOptions) {',
    replacement: '\n  if (false) {',
    check: (cut) => cut.includes('headMetaVerification: true') && recorderSource.includes(SLIM_DOM),
  },
  {
    name: 'slimDOM head rules',
    from: '\n    } else if (slimDOMOptions.headFavicon && (',
    toEnd: '\n  }\n  return false;\n}',
    keepEnd: true,
    replacement: '\n    }',
    check: (cut, rest) =>
      cut.includes('slimDOMOptions.headMetaVerification') && !/slimDOMOptions\.headMeta|slimDOMOptions\.headFavicon/.test(rest) &&
      recorderSource.includes(SLIM_DOM),
  },
  {
    name: 'emit to the parent frame',
    from: '\n  const inEmittingFrame = recordCrossOriginIframes ? window.parent === window : true;',
    to: '\n  if (mousemoveWait !== void 0',
    replacement: '\n  const inEmittingFrame = true;\n  const passEmitsToParent = false;',
    check: (cut, rest) => cut.includes('passEmitsToParent = true') && rest.includes('recordCrossOriginIframes = false') && !recorderSource.includes('recordCrossOriginIframes'),
  },
  {
    name: 'postMessage to the parent frame',
    from: '\n    } else if (passEmitsToParent) {',
    toEnd: '\n    }\n',
    keepEnd: true,
    replacement: '',
    check: (cut, rest) => cut.includes('window.parent.postMessage(message, "*")') && rest.includes('const passEmitsToParent = false;'),
  },
  {
    name: 'maskAllInputs presets',
    from: '\n  } = options;\n  const maskInputOptions = maskAllInputs === true ? {',
    toEnd: ': maskAllInputs;',
    replacement: '\n  } = options;\n  const maskInputOptions = maskAllInputs;',
    check: (cut, rest) =>
      cut.includes('"datetime-local": true') && /\n      maskAllInputs: maskInputOptions,\n/.test(rest) && recorderSource.includes(MASK_INPUT_OPTIONS),
  },
  {
    name: 'maskAllInputs option',
    from: '\n  mirror.reset();\n  const maskInputOptions = maskAllInputs === true ? {',
    toEnd: ': _maskInputOptions !== void 0 ? _maskInputOptions : { password: true };',
    replacement: '\n  mirror.reset();\n  const maskInputOptions = _maskInputOptions;',
    check: (cut, rest) => cut.includes('"datetime-local": true') && recorderSource.includes(MASK_INPUT_OPTIONS) && !recorderSource.includes('maskAllInputs'),
  },
  {
    name: 'class regular expressions',
    from: '\nfunction classMatchesRegex(node, regex, checkAncestors) {',
    toEnd: '\n}\n',
    replacement: '\nfunction classMatchesRegex() {\n  return false;\n}\n',
    check: (cut) => cut.includes('regex.test(className)') && !/\b(blockClass|maskTextClass)\b/.test(recorderSource),
  },
  {
    name: 'blocked element',
    from: '\nfunction _isBlockedElement(element, blockClass, blockSelector) {',
    toEnd: '\n}\n',
    replacement: '\nfunction _isBlockedElement(element, blockClass, blockSelector) {\n  return elementMatches(element, blockSelector);\n}\n',
    check: (cut) => cut.includes('blockClass.test(className)') && recorderSource.includes(BLOCK_SELECTOR) && !/\bblockClass\b/.test(recorderSource),
  },
  {
    name: 'blocked node',
    from: '\nfunction isBlocked(node, blockClass, blockSelector, checkAncestors) {',
    toEnd: '\n}\n',
    replacement:
      '\nfunction isBlocked(node, blockClass, blockSelector, checkAncestors) {\n  const el = node && closestElementOfNode(node);\n' +
      '  return !!el && (checkAncestors ? elementClosest(el, blockSelector) !== null : elementMatches(el, blockSelector));\n}\n',
    check: (cut) =>
      cut.includes('el.classList.contains(blockClass)') && cut.includes('checkAncestors && el.closest(blockSelector) !== null') &&
      recorderSource.includes(BLOCK_SELECTOR) && !/\bblockClass\b/.test(recorderSource),
  },
  {
    name: 'freezePage',
    from: '\nrecord.freezePage = () => {',
    toEnd: '\n};\n',
    replacement: '\n',
    check: (cut, rest) => cut.includes('buf.freeze()') && !/\bfreezePage\b/.test(rest) && !/freezePage/.test(recorderSource),
  },
  {
    name: 'waiting for the document',
    from: '\n    if (["interactive", "complete"].includes(document.readyState)) {\n      init();\n    } else {',
    toEnd: '\n    }\n    return () => {',
    replacement: '\n    init();\n    return () => {',
    check: (cut) =>
      cut.includes('if (recordAfter === "load") init();') &&
      recorderSource.includes('Must be called once the DOM is parsed') &&
      playheadSource.includes('whenDomReady(startRecording)') && domReadySource.includes("if (document.readyState !== 'loading') {"),
  },
  {
    name: 'mousemoveWait option',
    from: '\n  if (mousemoveWait !== void 0 && sampling.mousemove === void 0) {',
    toEnd: '\n  }\n',
    replacement: '\n',
    check: (cut) => cut.includes('sampling.mousemove = mousemoveWait;') && !/mousemoveWait/.test(recorderSource) && recorderSource.includes('sampling: { mousemove: 50'),
  },
  {
    name: 'packFn option',
    from: '\n    if (packFn && // Disable packing events which will be emitted to parent frames.',
    toEnd: '\n    }\n',
    replacement: '\n',
    check: (cut) => cut.includes('e = packFn(e);') && !/packFn/.test(recorderSource),
  },
  {
    name: 'forEach polyfill',
    from: '\nfunction polyfill(win = window) {',
    toEnd: '\n}\n',
    replacement: '\nfunction polyfill() {}\n',
    check: (cut, rest) => cut.includes('NodeList.prototype.forEach = Array.prototype.forEach') && /\n  polyfill\(\);/.test(rest),
  },
];

function applyCut(source, cut) {
  const start = source.indexOf(cut.from);
  // `to` starts the last part of the cut; `toEnd` ends it (kept when `keepEnd`)
  const last = cut.to === undefined ? start : source.indexOf(cut.to, start);
  let end = last;
  if (cut.toEnd !== undefined) {
    end = source.indexOf(cut.toEnd, last + 1);
    if (end >= 0 && !cut.keepEnd) end += cut.toEnd.length;
  }
  const removed = source.slice(start, end);
  const rest = source.slice(0, start) + source.slice(end);
  const ok = start >= 0 && last >= start && end >= last && end > start && source.indexOf(cut.from, start + 1) < 0 && cut.check(removed, rest);
  if (!ok) throw new Error(`@rrweb/record changed shape: review the "${cut.name}" cut in build.mjs`);
  const replacement = typeof cut.replacement === 'function' ? cut.replacement(removed) : cut.replacement;
  return source.slice(0, start) + replacement + source.slice(end);
}

const withoutDeadRrwebCode = {
  name: 'without-dead-rrweb-code',
  setup(build) {
    build.onLoad({ filter: /[\\/]@rrweb[\\/]record[\\/]dist[\\/]record\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      // the rewrites call the DOM's own methods and getters (src/lib/elements.ts)
      const elements = `import { matches as elementMatches, closest as elementClosest, getAttribute as elementGetAttribute, formStyle as elementFormStyle } from ${JSON.stringify(join(root, 'src', 'lib', 'elements.ts'))};\n`;
      return { contents: elements + REWRITES.reduce(applyRewrite, CUTS.reduce(applyCut, source)), loader: 'js' };
    });
  },
};

/** Shared esbuild settings. */
const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  write: false,
  target: ['es2020'],
  platform: 'browser',
  charset: 'utf8',
  legalComments: 'eof',
  banner: { js: banner },
  define: { __PLAYHEAD_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  plugins: [withoutDeadRrwebCode],
  mangleProps: new RegExp(`^(${MANGLED.join('|')})$`),
};

async function bundle(options) {
  const result = await esbuild.build({ ...common, ...options, metafile: true });
  const [file] = result.outputFiles;
  const meta = Object.values(result.metafile.outputs)[0];
  return { text: file.text, exports: meta.exports ?? [] };
}

const iife = await bundle({
  entryPoints: ['src/auto.ts'],
  outfile: 'dist/playhead.iife.js',
  format: 'iife',
  globalName: 'Playhead',
});
if (mapDir) {
  const out = await esbuild.build({
    ...common,
    entryPoints: ['src/auto.ts'],
    outfile: join(mapDir, 'playhead.iife.js'),
    format: 'iife',
    globalName: 'Playhead',
    sourcemap: 'external',
  });
  await mkdir(mapDir, { recursive: true });
  for (const f of out.outputFiles) await writeFile(f.path, f.contents);
  process.exit(0);
}

/**
 * In the ES module, the report widget is imported from ./report.mjs (built
 * next to it) instead of loaded as a script from the Playhead server: the
 * app's bundler then makes it a chunk of its own, loaded on demand.
 */
const esmReportLoader = {
  name: 'esm-report-loader',
  setup(build) {
    build.onResolve({ filter: /^\.\/reportLoader$/ }, (args) => ({ path: join(args.resolveDir, 'reportLoader.esm.ts') }));
    build.onResolve({ filter: /^\.\/report\.mjs$/ }, () => ({ path: './report.mjs', external: true }));
  },
};

const esm = await bundle({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.mjs',
  format: 'esm',
  plugins: [withoutDeadRrwebCode, esmReportLoader],
});

const reportBanner = `/*! ${pkg.name} ${pkg.version} | report widget */`;

const reportIife = await bundle({
  entryPoints: ['src/report/iife.ts'],
  outfile: 'dist/playhead-report.js',
  format: 'iife',
  banner: { js: reportBanner },
});

const reportEsm = await bundle({
  entryPoints: ['src/report/index.ts'],
  outfile: 'dist/report.mjs',
  format: 'esm',
  banner: { js: reportBanner },
});
if (JSON.stringify([...reportEsm.exports].sort()) !== '["mount","open","unmount"]') {
  throw new Error(`report.mjs exports ${reportEsm.exports}, not the ReportUI contract`);
}
if (!esm.text.includes('import("./report.mjs")') || iife.text.includes('report.mjs')) {
  throw new Error('index.mjs must import ./report.mjs on demand, and only it');
}

/**
 * Emits declarations with tsc and joins the public ones into a single file.
 * The public API lives in two modules: lib/types.ts (options) and lib/api.ts
 * (functions); everything else is internal.
 */
function declarations() {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const options = { ...config.options, noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: join(root, '.d.ts-tmp'), rootDir: join(root, 'src') };
  const program = ts.createProgram([join(root, 'src/index.ts')], options);
  const emitted = new Map();
  const result = program.emit(undefined, (name, text) => emitted.set(name.slice(options.outDir.length + 1).replace(/\\/g, '/'), text));
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    throw new Error(ts.formatDiagnostics(diagnostics, host));
  }
  const parts = ['lib/types.d.ts', 'lib/api.d.ts'].map((name) => {
    const text = emitted.get(name);
    if (text === undefined) throw new Error(`tsc emitted no ${name}`);
    // drop the relative imports between the joined files
    return text.replace(/^import .* from '\.\/[^']+';\n/gm, '').replace(/^export \{\};\n/gm, '').trim();
  });
  return `${banner}\n${parts.join('\n\n')}\n`;
}

const dts = declarations();

// The declarations must name exactly what the ES module exports.
const declared = [...dts.matchAll(/^export (?:declare )?(?:function|interface|type|const) (\w+)/gm)].map((m) => m[1]);
const declaredValues = [...dts.matchAll(/^export (?:declare )?(?:function|const) (\w+)/gm)].map((m) => m[1]).sort();
if (JSON.stringify(declaredValues) !== JSON.stringify([...esm.exports].sort())) {
  throw new Error(`index.d.ts declares ${declaredValues} but index.mjs exports ${esm.exports}`);
}
if (!declared.includes('PlayheadOptions')) throw new Error('index.d.ts lacks PlayheadOptions');

const outputs = {
  'playhead.iife.js': iife.text,
  'index.mjs': esm.text,
  'index.d.ts': dts,
  'playhead-report.js': reportIife.text,
  'report.mjs': reportEsm.text,
};

for (const [name, text] of Object.entries(outputs)) {
  if (text.includes(root)) throw new Error(`${name} contains the absolute path ${root}`);
}

if (check) {
  const stale = [];
  for (const [name, text] of Object.entries(outputs)) {
    const current = await readFile(join(dist, name), 'utf8').catch(() => null);
    if (current !== text) stale.push(name);
  }
  if (stale.length) {
    console.error(`dist/ is out of date (${stale.join(', ')}): run npm run build`);
    process.exit(1);
  }
  console.log('dist/ is up to date');
} else {
  await mkdir(dist, { recursive: true });
  for (const [name, text] of Object.entries(outputs)) await writeFile(join(dist, name), text);
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB (${n} B)`;
const gzip = (text) => gzipSync(Buffer.from(text), { level: 9 }).length;
const brotli = (text) =>
  brotliCompressSync(Buffer.from(text), {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(text) },
  }).length;
const sizes = (name, text) =>
  console.log(`${name.padEnd(25)} minified ${kb(Buffer.byteLength(text))}  gzip -9 ${kb(gzip(text))}  brotli ${kb(brotli(text))}`);
sizes('dist/playhead.iife.js', iife.text);
console.log(`${'dist/index.mjs'.padEnd(25)} minified ${kb(Buffer.byteLength(esm.text))}`);
sizes('dist/playhead-report.js', reportIife.text);

/** gzip budgets: the recording bundle every page loads, and the widget loaded on demand. */
// The recording bundle's went from 28 to 28.5 KiB for the project settings
// (privacy preset, sample rates) the SDK takes from the server (~150 B).
const BUDGETS = { 'playhead.iife.js': 28.5 * 1024, 'playhead-report.js': 6 * 1024 };
let over = false;
for (const [name, budget] of Object.entries(BUDGETS)) {
  const gz = gzip(outputs[name]);
  if (gz > budget) {
    console.error(`dist/${name}: gzip size ${gz} B is over the budget of ${budget} B`);
    over = true;
  }
}
if (over) process.exit(1);
