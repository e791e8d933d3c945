// The player's style sheet adaptation (src/player/css.ts) against the
// function it replaces in the player's bundle (@rrweb/replay's
// adaptCssForReplay, which runs the postcss bundled with it): the same
// output, byte for byte, wherever postcss reads a sheet as CSS does.
//
//   npm test   (in web/)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(web, "..");

/** Bundles `contents` (resolved from web/) and imports it. */
async function load(contents, plugins = []) {
  const built = await esbuild.build({ stdin: { contents, resolveDir: web, loader: "js" }, bundle: true, write: false, format: "esm", platform: "neutral", logLevel: "warning", plugins });
  return import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString("base64")}`);
}

const { adaptCss } = await load(`export { adaptCss } from "./src/player/css.ts";`);
// @rrweb/replay as published, with its adaptCssForReplay and postcss exported
const replay = await load(`export { adaptCssForReplay, postcss } from "@rrweb/replay";`, [
  {
    name: "export-adapt-css",
    setup(build) {
      build.onLoad({ filter: /[\\/]@rrweb[\\/]replay[\\/]dist[\\/]replay\.js$/ }, async (args) => ({
        contents: (await readFile(args.path, "utf8")) + "\nexport { adaptCssForReplay, postcss$1 as postcss };\n",
        loader: "js",
      }));
    },
  },
]);

/** rrweb's adaptation, or null where postcss cannot parse the sheet (rrweb then keeps it as it is). */
function rrweb(css) {
  try {
    replay.postcss.parse(css);
  } catch {
    return null;
  }
  return replay.adaptCssForReplay(css, null);
}

function same(css, name) {
  const want = rrweb(css);
  assert.notEqual(want, null, `${name}: postcss cannot parse it`);
  assert.equal(adaptCss(css), want, name);
}

test("the same output as rrweb for hand-written sheets", () => {
  const cases = {
    "plain hover": "a:hover { color: red }",
    "hover in a list": "a:hover , b:hover ,c{x:y}",
    "no hover": "a, b { color: red } @media screen { c { d: e } }",
    "device media": "@media (max-device-width: 300px) and (min-device-height: 20px) { a { b: c } }",
    "device media and hover": "@media screen and (max-device-width:480px){.x:hover{color:red}}",
    "device media in an import": '@import url("x.css") screen and (max-device-width: 100px);\na:hover{b:c}',
    "comment before the brace": "d:hover/*k*/ {}",
    "comments around": "/* a:hover { } */ b:hover /* c */ { /* d:hover { } */ e: f }",
    "hover inside parentheses": ":is(a:hover, b) c, d:not(.x, .y:hover) { e: f }",
    "hover twice in one selector": "a:hover > b:hover:focus, c { d: e }",
    "escaped colons": ".hover\\:bg:hover, .md\\:hover\\:x { a: b }",
    "strings with braces": 'a[title="{:hover}"]:hover { content: "}" } b { content: "{" }',
    "url with semicolon and braces": "a { background: url(data:image/svg+xml;utf8,<svg>{}</svg>) } b:hover { c: d }",
    "nested rules": ".card { color: red; &:hover { color: blue } .title:hover & { x: y } }",
    "nested at-rule": ".a { @media (hover: hover) { &:hover { b: c } } }",
    "custom property with a block": ":root { --x: { a:hover { b: c } }; --y: 1 } d:hover { e: f }",
    "at-rule with a hover-looking prelude": "@supports selector(a:hover) { b:hover { c: d } } @media (hover:hover) { e { f: g } }",
    keyframes: "@keyframes spin { from { a: b } 50% { c: d } to { e: f } } a:hover { animation: spin 1s }",
    "font-face": '@font-face { font-family: "X"; src: url(x.woff2) format("woff2") } a:hover { b: c }',
    layers: "@layer base, theme; @layer base { a:hover { b: c } }",
    "container and scope": "@container card (min-width: 400px) { a:hover { b: c } } @scope (.x) { :scope:hover { d: e } }",
    "newlines in selectors": "a:hover,\nb:hover\n,\n  c:hover   {\n  d: e;\n}\n",
    "empty rule": "a:hover{}",
    "hover in a declaration": 'a { content: ":hover" } b::after { content: "a:hover{}" }',
    "pseudo-elements": "a:hover::before, b::after { c: d }",
    "page rule": "@page :first { margin: 1in } a:hover { b: c }",
    "device query without media": "@custom-media --small (max-device-width: 30em); a:hover { b: c }",
    "important and semicolons": "a:hover { b: c !important;; d: e; }",
    "hover upper case": "a:HOVER { b: c } d:hover { e: f }",
    "attribute with comma": 'a[data-x="1,2"]:hover, b { c: d }',
    "comments in a selector list": "a:hover, /* x */ b {c:d} e:hover,/**/f:hover{g:h} i/*:hover*/ , j{k:l} m/*n*/o:hover{p:q}",
    "a comment after a comma": "a:hover,/* x */ b:hover { c: d }",
    "comments in preludes": "@media screen, /* max-device-width */ print{a{b:c}} @import url(x.css) /* c */ (max-device-width:1px); @media/* a */(max-device-width: 2px)/* b */{c{d:e}}",
    empty: "",
    whitespace: " \n\t ",
  };
  for (const [name, css] of Object.entries(cases)) same(css, name);
});

test("the same output as rrweb for real sheets", () => {
  const sheets = {
    "dashboard app.css": readFileSync(join(web, "src", "styles", "app.css"), "utf8"),
    "dashboard export.css": readFileSync(join(web, "src", "styles", "export.css"), "utf8"),
    "rrweb-player's style.css": readFileSync(join(web, "node_modules", "rrweb-player", "dist", "style.css"), "utf8"),
    "demo shop": readFileSync(join(repo, "demo", "static", "style.css"), "utf8"),
    "fixture site": readFileSync(join(repo, "e2e", "fixtures", "src", "site.css"), "utf8"),
    "fixture cdn": readFileSync(join(repo, "e2e", "fixtures", "src", "cdn.css"), "utf8"),
    "fixture form": readFileSync(join(repo, "e2e", "fixtures", "src", "steps", "form", "form.css"), "utf8"),
  };
  // every sheet of the real 60-minute recording: its snapshot's and those added later
  const events = JSON.parse(gunzipSync(readFileSync(join(repo, "testdata", "real60-events.json.gz"))));
  let found = 0;
  const walk = (n) => {
    if (!n || typeof n !== "object") return;
    if (typeof n.attributes?._cssText === "string") sheets[`real60 sheet ${++found}`] = n.attributes._cssText;
    if (n.isStyle && typeof n.textContent === "string") sheets[`real60 sheet ${++found}`] = n.textContent;
    for (const c of n.childNodes ?? []) walk(c);
  };
  for (const e of events) {
    if (e.type === 2) walk(e.data.node);
    if (e.type === 3 && e.data.source === 0) for (const a of e.data.adds ?? []) walk(a.node);
  }
  assert.ok(found >= 2, `the recording's sheets: found ${found}`);
  let hovers = 0;
  for (const [name, css] of Object.entries(sheets)) {
    same(css, name);
    if (css.includes(":hover")) hovers++;
  }
  assert.ok(hovers >= 3, `sheets with :hover rules: ${hovers}`);
});

test("the same output as rrweb for generated sheets", () => {
  // a small deterministic generator of valid sheets from pieces that each
  // stress one part of the grouping: selectors, blocks, at-rules, values
  let seed = 7;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pick = (xs) => xs[rand(xs.length)];
  const simple = ["a", ".b", "#c", "d:hover", ".e:hover:focus", "f > g:hover", "[h='i,j']", ":is(k:hover, l)", ":not(.m:hover)", "n::before", ".o\\:p:hover", "*", "&:hover", "&"];
  const selector = () => Array.from({ length: 1 + rand(3) }, () => pick(simple)).join(pick([", ", ",", " ,\n", ",\n  ", ", /* c */ ", "/* c */,", ",/**/", " /* , */ , "]));
  const values = ["red", "1px solid #000", 'url("x;{}.png")', "url(data:x;y{})", '"a:hover{}"', "calc(1px + (2px * 3))", "var(--x, 1px)", "rgb(1 2 3 / 50%)"];
  const decl = () => `${pick(["color", "margin", "--v", "background", "content"])}:${pick(["", " "])}${pick(values)}${pick([" !important", ""])}`;
  const block = (depth) => {
    const items = Array.from({ length: rand(4) }, () => (depth < 2 && rand(4) === 0 ? rule(depth + 1) : decl()));
    return `{${pick(["", " ", "\n  "])}${items.join(pick(["; ", ";", ";\n  "]))}${pick(["", ";", " "])}}`;
  };
  const rule = (depth) => {
    switch (depth > 2 ? 7 : rand(8)) {
      case 0:
        return `@media ${pick(["screen", "(max-device-width: 40em)", "(min-device-height:10px) and (hover: hover)", "print", "/* x */ (max-device-width: 3px) /* y */", "screen, /* max-device-width */ print"])} {${rule(depth + 1)}}`;
      case 1:
        return `@supports ${pick(["(display: grid)", "selector(a:hover)"])} {${rule(depth + 1)}}`;
      case 2:
        return `/* ${pick(["a:hover {", "}", "x"])} */ ${selector()}${pick(["", " ", " /* c */ "])}${block(depth)}`;
      default:
        return `${selector()}${pick(["", " ", "\n"])}${block(depth)}`;
    }
  };
  let changed = 0;
  for (let k = 0; k < 500; k++) {
    const css = Array.from({ length: 1 + rand(6) }, () => rule(0)).join(pick(["\n", " ", ""]));
    same(css, `generated sheet ${k}: ${css}`);
    if (adaptCss(css) !== css) changed++;
  }
  assert.ok(changed > 250, `generated sheets the adaptation changed: ${changed} of 500`);
});

test("a selector ending in an escaped space keeps it, and its block", () => {
  // postcss reads the space as between the selector and its block (rrweb's
  // copy ends in a backslash); CSS reads it as part of the selector
  assert.equal(adaptCss("a:hover\\ {b:c} d{e:f}"), "a:hover\\ ,\na.\\:hover\\ {b:c} d{e:f}");
  assert.equal(adaptCss("a:hover\\\t{b:c}"), "a:hover\\\t,\na.\\:hover\\\t{b:c}");
});

test("sheets postcss cannot parse are still adapted", () => {
  // rrweb keeps these as they are; their rules still apply in the replay
  assert.equal(rrweb("a:hover { color: red"), null);
  assert.equal(adaptCss("a:hover { color: red"), "a:hover,\na.\\:hover { color: red");
  assert.equal(adaptCss("} a:hover { b: c }"), "} a:hover,\na.\\:hover { b: c }");
});

test("a sheet without hover or device queries is returned as it is", () => {
  const css = "a { b: c } @media (max-width: 3px) { d { e: f } }";
  assert.equal(adaptCss(css), css);
});

test("any text is adapted without an error, only by insertions where it has no comment or device query", () => {
  // pieces of CSS in random order: unclosed strings, comments and blocks,
  // stray braces and escapes, lone surrogates and NULs
  const pieces = ["a", ":hover", "{", "}", ";", "(", ")", "[", "]", "a:hover {", "b:c}", "p:hover, ", '"', "'", "\\", "/*", "*/", "url(", "@media", "(max-device-width: 1px)", ",", " ", "\n", "--x:", "&", "@import", "\u0000", "\ud800"];
  let seed = 11;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let grown = 0;
  for (let k = 0; k < 20000; k++) {
    let css = "";
    for (let n = rand(40); n > 0; n--) css += pieces[rand(pieces.length)];
    const got = adaptCss(css);
    assert.equal(typeof got, "string");
    if (css.includes("/*") || css.includes("device")) continue;
    // css is a subsequence of got: what was written is all still there, in order
    let at = 0;
    for (const c of got) if (at < css.length && c === css[at]) at++;
    assert.equal(at, css.length, `${JSON.stringify(css)} became ${JSON.stringify(got)}`);
    if (got !== css) grown++;
  }
  assert.ok(grown > 50, `sheets given hover selectors: ${grown}`); // (most random texts hold no rule: an open quote or bracket takes the rest)
});
