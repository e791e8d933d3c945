// The keyboard shortcut help (press ?).

import { h } from "../dom";

export const SHORTCUTS: [string[], string][] = [
  [["Space"], "Play / pause"],
  [["←", "→"], "Back / forward 5 seconds"],
  [["Shift", "←/→"], "Back / forward 30 seconds"],
  [["["], "Previous error (uncaught error, console error or failed request)"],
  [["]"], "Next error"],
  [["P"], "Previous search match (opened from a search)"],
  [["N"], "Next search match"],
  [["1", "2", "4", "8"], "Playback speed"],
  [["I"], "Pick an element to inspect (pauses)"],
  [["Home", "End"], "Start / end of the session"],
  [["?"], "Show this help"],
  [["Esc"], "Close this help, stop picking"],
];

export class Help {
  readonly el: HTMLElement;
  private readonly dialog: HTMLElement;
  private restoreFocus: HTMLElement | null = null;

  constructor() {
    const close = h("button", { class: "btn-icon small", type: "button", "aria-label": "Close", title: "Close (Esc)" }, "×");
    close.addEventListener("click", () => this.hide());
    this.dialog = h(
      "div",
      { class: "help-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "help-title", tabindex: "-1" },
      h("div", { class: "help-head" }, h("h2", { id: "help-title" }, "Keyboard shortcuts"), close),
      h(
        "table",
        { class: "help-keys" },
        h(
          "tbody",
          null,
          SHORTCUTS.map(([keys, what]) => h("tr", null, h("td", null, keys.map((k, i) => [i ? " " : "", h("kbd", null, k)])), h("td", null, what))),
        ),
      ),
      h("p", { class: "muted small" }, "Click a marker on the timeline, or any console, network or error entry, to jump to its moment. Each entry has a link button that copies a link to it."),
    );
    this.el = h("div", { class: "help-backdrop", hidden: true }, this.dialog);
    this.el.addEventListener("click", (ev) => {
      if (ev.target === this.el) this.hide();
    });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  show(): void {
    this.restoreFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.el.hidden = false;
    this.dialog.focus();
  }

  hide(): void {
    this.el.hidden = true;
    this.restoreFocus?.focus?.();
  }

  toggle(): void {
    if (this.open) this.hide();
    else this.show();
  }
}
