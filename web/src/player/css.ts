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
// written except for what is inserted or replaced: the output is rrweb's,
// byte for byte, for every sheet postcss parses (test/css.test.mjs compares
// them). The tokenizer is @csstools/css-tokenizer (CSS Syntax Level 3, the
// tokenizer browsers implement); what is written here is only the grouping
// of tokens into statements, which no library offers without building the
// tree this avoids. Where postcss gives up on a sheet (an unclosed block, a
// stray brace), rrweb kept the sheet as it was; this still adapts its rules.

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
    // at the } that closes its block. A custom property's value may hold
    // {} blocks of its own.
    const first = tokens[i]!;
    const custom = type === TokenType.Ident && first[1].startsWith("--");
    const closers: TokenType[] = [];
    let j = i;
    for (; j < n; j++) {
      const k = tokens[j]![0];
      if (k === TokenType.EOF) break;
      if (k === TokenType.OpenParen || k === TokenType.Function) closers.push(TokenType.CloseParen);
      else if (k === TokenType.OpenSquare) closers.push(TokenType.CloseSquare);
      else if (custom && k === TokenType.OpenCurly && sawColon(tokens, i, j)) closers.push(TokenType.CloseCurly);
      else if (closers.length > 0) {
        if (k === closers[closers.length - 1]) closers.pop();
      } else if (k === TokenType.OpenCurly || k === TokenType.Semicolon || k === TokenType.CloseCurly) break;
    }
    const end = j < n ? tokens[j]![0] : TokenType.EOF;
    if (type === TokenType.AtKeyword) {
      // an at-rule: its prelude runs from after its name to the ; or {
      const from = first[3] + 1;
      const to = end === TokenType.EOF ? css.length : tokens[j]![2];
      const prelude = css.slice(from, to);
      DEVICE.lastIndex = 0;
      if (DEVICE.test(prelude)) {
        out.push(css.slice(copied, from), prelude.replace(DEVICE, "$1-$2"));
        copied = to;
      }
    } else if (hover && end === TokenType.OpenCurly) {
      // a rule: its selectors, split at top-level commas, end at the last
      // token before the { that is not white space or a comment
      let last = j - 1;
      while (last > i && (tokens[last]![0] === TokenType.Whitespace || tokens[last]![0] === TokenType.Comment)) last--;
      let added = "";
      let from = i;
      let depth = 0;
      for (let k = i; k <= last + 1; k++) {
        const t = k <= last ? tokens[k]![0] : TokenType.Comma;
        if (t === TokenType.OpenParen || t === TokenType.Function) depth++;
        else if (t === TokenType.CloseParen && depth > 0) depth--;
        else if (t === TokenType.Comma && depth === 0) {
          const selector = k > from ? css.slice(tokens[from]![2], tokens[k - 1]![3] + 1).trim() : "";
          if (selector.includes(":hover")) added += ",\n" + selector.replace(HOVER, ".\\:hover");
          from = k + 1;
        }
      }
      if (added) {
        const at = tokens[last]![3] + 1;
        out.push(css.slice(copied, at), added);
        copied = at;
      }
    }
    // into a block, or past a declaration (its ; or } is skipped above)
    i = end === TokenType.OpenCurly || j === i ? j + 1 : j;
  }
  if (copied === 0) return css;
  out.push(css.slice(copied));
  return out.join("");
}

/** Whether a colon comes between tokens from and to: a custom property's value has begun. */
function sawColon(tokens: CSSToken[], from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (tokens[k]![0] === TokenType.Colon) return true;
  return false;
}
