// The player's Export and Share menus: the session as rrweb events or as an
// HTML file that replays offline, and links that let someone without an
// account watch this replay (read-only, until they expire or are revoked).

import { api, errorMessage } from "../api";
import { copyText } from "../clipboard";
import { clear, h } from "../dom";
import { clock } from "../format";
import type { ShareLink } from "../types";

/** A button that opens `panel` below it, and closes it on a click elsewhere or on Escape. */
function dropdown(label: string, title: string, panel: HTMLElement, onOpen?: () => void): HTMLElement {
  const btn = h("button", { class: "btn", type: "button", title, "aria-expanded": "false" }, label);
  panel.hidden = true;
  panel.classList.add("dropdown-panel");
  const wrap = h("div", { class: "dropdown" }, btn, panel);
  const close = (ev: MouseEvent) => {
    if (!wrap.contains(ev.target as Node)) toggle(false);
  };
  // Escape, wherever the focus is, closes it before the player's shortcuts
  // see the key (this listener runs first: on the window, capturing)
  const escape = (ev: KeyboardEvent) => {
    if (ev.key !== "Escape") return;
    ev.stopPropagation();
    const focusInside = wrap.contains(document.activeElement);
    toggle(false);
    if (focusInside) btn.focus();
  };
  const toggle = (open: boolean) => {
    panel.hidden = !open;
    btn.setAttribute("aria-expanded", String(open));
    if (open) {
      document.addEventListener("click", close);
      window.addEventListener("keydown", escape, true);
      onOpen?.();
    } else {
      document.removeEventListener("click", close);
      window.removeEventListener("keydown", escape, true);
    }
  };
  btn.addEventListener("click", () => toggle(panel.hidden));
  return wrap;
}

/** Links that download the session in each export format. */
export function exportMenu(id: string): HTMLElement {
  const panel = h(
    "div",
    null,
    h("a", { class: "dropdown-item", href: api.exportUrl(id, "rrweb"), download: `playhead-${id}.json` }, "rrweb events (.json)", h("span", { class: "muted" }, "for rrweb-player and other rrweb tools")),
    h("a", { class: "dropdown-item", href: api.exportUrl(id, "html"), download: `playhead-${id}.html` }, "Replay file (.html)", h("span", { class: "muted" }, "plays offline in any browser")),
    h("p", { class: "muted small" }, "Both hold only what Playhead stored: masked values stay masked."),
  );
  return dropdown("Export", "Download this session", panel);
}

const EXPIRIES: [number, string][] = [
  [24, "1 day"],
  [72, "3 days"],
  [168, "7 days"],
  [720, "30 days"],
];

/**
 * Creates and lists share links. `moment` is the play head (Unix ms), for
 * a link that opens there.
 */
export function shareMenu(id: string, moment: () => number, offset: () => number): HTMLElement {
  const expiry = h("select", { "aria-label": "Expires after" }, EXPIRIES.map(([hours, label]) => h("option", { value: String(hours), selected: hours === 72 }, label)));
  const atMoment = h("input", { type: "checkbox" });
  const create = h("button", { class: "btn btn-primary btn-small", type: "button" }, "Create link");
  const result = h("div", { class: "share-result" });
  const list = h("div", { class: "share-list" });
  const atLabel = h("span", null, "Start at the current moment");

  const render = (links: ShareLink[]) => {
    clear(list);
    if (!links.length) return;
    list.append(h("div", { class: "muted small" }, "Links to this replay"));
    const now = Date.now();
    for (const l of links) {
      const state = l.revokedAt ? "revoked" : Date.parse(l.expiresAt) <= now ? "expired" : `until ${new Date(l.expiresAt).toLocaleString()}`;
      const revoke = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Revoke");
      revoke.addEventListener("click", async () => {
        revoke.disabled = true;
        try {
          await api.revokeShare(id, l.id);
          await refresh();
        } catch (err) {
          result.textContent = errorMessage(err);
        }
      });
      list.append(
        h(
          "div",
          { class: `share-row${l.revokedAt || Date.parse(l.expiresAt) <= now ? " inactive" : ""}` },
          h("span", null, `#${l.id} by ${l.createdBy}, ${state}`),
          h("span", { class: "muted" }, ` · opened ${l.uses} time${l.uses === 1 ? "" : "s"}`),
          l.revokedAt || Date.parse(l.expiresAt) <= now ? null : revoke,
        ),
      );
    }
  };
  const refresh = async () => {
    try {
      render((await api.shares(id)).shares);
    } catch (err) {
      list.textContent = errorMessage(err);
    }
  };
  create.addEventListener("click", async () => {
    create.disabled = true;
    clear(result);
    try {
      const r = await api.share(id, Number(expiry.value), atMoment.checked ? Math.round(moment()) : undefined);
      const input = h("input", { class: "share-url", readonly: true, value: r.url, "aria-label": "Share link" });
      const copy = h("button", { class: "btn btn-small", type: "button" }, "Copy");
      copy.addEventListener("click", async () => {
        copy.textContent = (await copyText(r.url)) ? "Copied" : "Copy failed";
      });
      result.append(h("div", { class: "share-made" }, input, copy), h("p", { class: "muted small" }, "Shown once: anyone with this link can watch this replay, and nothing else, until it expires or is revoked."));
      input.select();
      await refresh();
    } catch (err) {
      result.textContent = errorMessage(err);
    } finally {
      create.disabled = false;
    }
  });
  const panel = h(
    "div",
    { class: "share-panel" },
    h("label", { class: "row-label" }, "Expires after ", expiry),
    h("label", { class: "check" }, atMoment, atLabel),
    create,
    result,
    list,
  );
  return dropdown("Share", "Let someone without an account watch this replay", panel, () => {
    atLabel.textContent = `Start at the current moment (${clock(offset())})`;
    void refresh();
  });
}
