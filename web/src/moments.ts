// How a search's matched moments read: "clicked 'Place order'",
// "POST /api/order 500", "TypeError: …". Labels were recorded in someone's
// browser: they are shown as text only.

import { urlPath } from "./format";
import type { SearchMatch } from "./types";

const MAX = 80;

function cut(s: string): string {
  return s.length > MAX ? s.slice(0, MAX - 1) + "…" : s;
}

/** A short description of a matched moment. */
export function momentText(m: SearchMatch): string {
  const label = typeof m.label === "string" ? m.label : "";
  const after = (prefix: string) => (label.startsWith(prefix) ? label.slice(prefix.length) : "");
  switch (m.kind) {
    case "click": {
      const text = after("Click: ");
      return text ? `clicked '${cut(text)}'` : "click";
    }
    case "request": {
      const sp = label.indexOf(" ");
      const method = sp > 0 ? label.slice(0, sp) : "";
      const url = sp > 0 ? label.slice(sp + 1) : label;
      const status = typeof m.status === "number" ? (m.status === 0 ? " failed" : ` ${m.status}`) : "";
      return cut(`${method} ${urlPath(url)}`.trim()) + status;
    }
    case "navigation":
      return `visited ${cut(urlPath(label))}`;
    case "console":
      return `console.${m.level || "log"}: ${cut(label)}`;
    case "custom":
      return `event ${cut(label)}`;
    case "input": {
      const text = after("Input: ");
      return text ? `typed into '${cut(text)}'` : "input";
    }
    case "rage_click":
      return "rage click";
    case "dead_click": {
      const text = after("Dead click: ");
      return text ? `dead click on '${cut(text)}'` : "dead click";
    }
    case "error_click":
      return "error click";
  }
  return cut(label);
}
