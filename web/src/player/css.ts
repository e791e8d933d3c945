// The replay's style sheets, adapted as rrweb adapts them before they are
// rebuilt: a pointer cannot hover over a replayed page, so rrweb marks the
// element under the recorded pointer with the class ":hover", and every rule
// whose selector says :hover gets a second selector with `.\:hover` in its
// place; and media queries on the device's size ask for the viewport's, the
// replay's iframe being the device.
//
// rrweb does this with postcss, parsing each sheet into a tree and printing
// it again. On opening a session that was a fifth of the first frame's
// rebuild, most of it postcss's own code being compiled for its first use.
// Only two things are needed from a sheet: where each qualified rule's
// selector ends, and each at-rule's prelude. A CSS tokenizer gives both,
// with every token's place in the text, so the sheet is left as it was
// written except for what is inserted or replaced. The output is rrweb's,
// byte for byte (test/css.test.mjs compares them), wherever postcss reads a
// sheet as CSS does; it keeps postcss's ways where they show in rrweb's
// output (a selector or prelude it rewrites loses the comments postcss
// drops, the selectors are split as postcss splits them). The tokenizer is
// @csstools/css-tokenizer (CSS Syntax Level 3, the tokenizer browsers
// implement); what is written here is only the grouping of tokens into
// statements, which no library offers without building the tree this
// avoids. Where postcss reads a sheet otherwise than CSS does (an escaped
// space at the end of a selector) the output follows CSS; where postcss
// gives up on a sheet (an unclosed block, a stray brace), rrweb kept the
// sheet as it was, and this still adapts its rules.

import { tokenize, TokenType, type CSSToken } from "@csstools/css-tokenizer";

const DEVICE = /(max|min)-device-(width|height)/g;
const HOVER = /:hover/g;

/** `css` with hover selectors added and device media queries turned into viewport ones, as rrweb adapts it. */
export function adaptCss(css: string): string {
  const hover = css.includes(":hover");
  if (!hover && !css.includes("-device-")) return css;
  const tokens = tokenize({ css });
  const out: string[] = [];
  let copied = 0; // css before this index is in out
  const n = tokens.length;
  let i = 0;
  while (i < n) {
    const type = tokens[i]![0];
    if (type === TokenType.EOF) break;
    if (
      type === TokenType.Whitespace ||
      type === TokenType.Comment ||
      type === TokenType.Semicolon ||
      type === TokenType.CloseCurly ||
      type === TokenType.CDO ||
      type === TokenType.CDC
    ) {
      i++;
      continue;
    }
    // A statement starts at i: it ends at a ; or { outside any brackets, or
    // at the } that closes its block. A custom property's value (after its
    // colon) may hold {} blocks of its own.
    const first = tokens[i]!;
    const custom = type === TokenType.Ident && first[1].startsWith("--");
    const closers: TokenType[] = [];
    let colon = false;
    let j = i;
    for (; j < n; j++) {
      const k = tokens[j]![0];
      if (k === TokenType.EOF) break;
      if (k === TokenType.OpenParen || k === TokenType.Function) closers.push(TokenType.CloseParen);
      else if (k === TokenType.OpenSquare) closers.push(TokenType.CloseSquare);
      else if (custom && colon && k === TokenType.OpenCurly) closers.push(TokenType.CloseCurly);
      else if (closers.length > 0) {
        if (k === closers[closers.length - 1]) closers.pop();
      } else if (k === TokenType.OpenCurly || k === TokenType.Semicolon || k === TokenType.CloseCurly) break;
      else if (k === TokenType.Colon) colon = true;
    }
    const end = j < n ? tokens[j]![0] : TokenType.EOF;
    if (type === TokenType.AtKeyword) {
      // an at-rule: its prelude, from after its name to the ; or {, less
      // the white space and comments at either end
      let a = i + 1;
      let b = j - 1;
      while (a <= b && blank(tokens[a]!)) a++;
      while (b >= a && blank(tokens[b]!)) b--;
      if (a <= b) {
        const { value } = written(css, tokens, a, b);
        DEVICE.lastIndex = 0;
        if (DEVICE.test(value)) {
          out.push(css.slice(copied, tokens[a]![2]), value.replace(DEVICE, "$1-$2"));
          copied = tokens[b]![3] + 1;
        }
      }
    } else if (hover && end === TokenType.OpenCurly) {
      // a rule: its selectors end at the last token before the { that is
      // not white space or a comment
      let last = j - 1;
      while (last > i && blank(tokens[last]!)) last--;
      const { value, clean } = written(css, tokens, i, last);
      let added = "";
      for (const selector of selectors(value)) if (selector.includes(":hover")) added += ",\n" + selector.replace(HOVER, ".\\:hover");
      if (added) {
        const to = tokens[last]![3] + 1;
        // a selector rewritten is written as postcss has it: without the comments it drops
        out.push(css.slice(copied, clean ? to : first[2]), clean ? added : value + added);
        copied = to;
      }
    }
    // into a block, or past a declaration (its ; or } is skipped above)
    i = end === TokenType.OpenCurly || j === i ? j + 1 : j;
  }
  if (copied === 0) return css;
  out.push(css.slice(copied));
  return out.join("");
}

function blank(t: CSSToken): boolean {
  return t[0] === TokenType.Whitespace || t[0] === TokenType.Comment;
}

/**
 * The text of tokens from..to as postcss holds a selector or an at-rule's
 * prelude: a comment next to white space (or at either end) is left out,
 * and so is one right after a comma; `clean` when none was.
 */
function written(css: string, tokens: CSSToken[], from: number, to: number): { value: string; clean: boolean } {
  let value = "";
  let clean = true;
  for (let k = from; k <= to; k++) {
    const t = tokens[k]!;
    const text = css.slice(t[2], t[3] + 1);
    if (t[0] === TokenType.Comment) {
      const spaced = (x: CSSToken | undefined): boolean => !x || x[0] === TokenType.Whitespace;
      if (spaced(k > from ? tokens[k - 1] : undefined) || spaced(k < to ? tokens[k + 1] : undefined) || value.endsWith(",")) {
        clean = false;
        continue;
      }
    }
    value += text;
  }
  return { value, clean };
}

/**
 * A selector list's selectors, as postcss splits it: at commas outside
 * quotes and parentheses, each trimmed of white space (not of an escaped
 * white space character, which belongs to the selector), empty ones between
 * two commas left out.
 */
function selectors(list: string): string[] {
  const out: string[] = [];
  let start = 0;
  let depth = 0;
  let quote = "";
  for (let k = 0; k < list.length; k++) {
    const c = list[k]!;
    if (c === "\\") k++;
    else if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(") depth++;
    else if (c === ")") {
      if (depth > 0) depth--;
    } else if (c === "," && depth === 0) {
      if (k > start) out.push(trimmed(list.slice(start, k)));
      start = k + 1;
    }
  }
  out.push(trimmed(list.slice(start)));
  return out;
}

function trimmed(s: string): string {
  s = s.trimStart();
  let end = s.length;
  while (end > 0 && /\s/.test(s[end - 1]!)) {
    let slashes = 0;
    while (end - 2 - slashes >= 0 && s[end - 2 - slashes] === "\\") slashes++;
    if (slashes % 2 === 1) break; // escaped: part of the selector
    end--;
  }
  return s.slice(0, end);
}
