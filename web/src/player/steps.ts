// The Steps panel: the session's reproduction steps, derived on the server
// from its events (GET /api/v1/sessions/{id}/steps, docs/REPRODUCE.md). Each
// step seeks to its moment; the toolbar copies them as Markdown for a ticket
// and downloads them as a Playwright test. With `?steps=<Unix ms>` the panel
// shows the window of steps before that moment.

import { api, errorMessage } from "../api";
import { copyText } from "../clipboard";
import { clear, h } from "../dom";
import { clock } from "../format";
import { sessionHref } from "../project";
import type { Step, Steps } from "../types";
import { EntryList } from "./entrylist";
import type { Panel } from "./panels";

interface StepEntry {
  t: number;
  step: Step;
  n: number;
}

const PROBLEM_KINDS = new Set(["request", "error", "console_error"]);

/**
 * Returns the Steps panel of session `id`; `startTime` is its first event's
 * time, `around` a moment whose window to show (null: the whole session).
 * The steps are fetched the first time the panel is shown.
 */
export function stepsPanel(id: string, startTime: number, seek: (t: number) => void, around: number | null): Panel {
  const body = h("div", { class: "steps-body" }, h("div", { class: "list-empty" }, "Deriving the steps…"));
  const status = h("span", { class: "muted steps-status", role: "status" });
  const copyBtn = h("button", { class: "btn btn-small", type: "button", disabled: true, title: "Copy the steps as Markdown, for a ticket" }, "Copy as Markdown");
  const query = around !== null ? { around: String(around) } : undefined;
  const testLink = h(
    "a",
    { class: "btn btn-small", href: api.exportUrl(id, "playwright", query), download: `session-${id}.spec.ts`, title: "A Playwright test that repeats these steps and fails while the bug is there" },
    "Playwright test",
  );
  const windowNote = h("p", { class: "steps-window muted", hidden: around === null });
  if (around !== null) {
    const all = h("a", { href: sessionHref(id), "data-link": true }, "all steps");
    windowNote.append(`The two minutes before ${clock(Math.max(0, around - startTime))}; `, all, ".");
  }
  // A narrative by the operator's language model, offered only when one
  // is configured; what it is sent is said before and shown after.
  const summaryBtn = h("button", { class: "btn btn-small", type: "button", hidden: true }, "Summarize");
  const summaryBox = h("div", { class: "steps-summary", hidden: true });
  summaryBtn.addEventListener("click", async () => {
    summaryBtn.disabled = true;
    summaryBox.hidden = false;
    clear(summaryBox);
    summaryBox.append(h("p", { class: "muted" }, "Asking the model…"));
    try {
      const res = await api.summary(id, query);
      clear(summaryBox);
      const sent = h("details", {}, h("summary", {}, "What was sent"), h("pre", {}, res.sent));
      summaryBox.append(
        h("p", { class: "steps-summary-text" }, res.summary),
        h("p", { class: "muted" }, `Written by ${res.model} at ${res.endpoint} from the steps below alone; check it against the replay.`),
        sent,
      );
    } catch (err) {
      clear(summaryBox);
      summaryBox.append(h("p", { class: "steps-summary-error" }, "No summary: " + errorMessage(err)));
    } finally {
      summaryBtn.disabled = false;
    }
  });
  void api
    .me()
    .then((me) => {
      if (!me.summaries) return;
      summaryBtn.hidden = false;
      summaryBtn.title = `Sends these steps, already masked, to ${me.summaries.model} at ${me.summaries.endpoint} and shows its summary. Nothing else is sent.`;
    })
    .catch(() => undefined);
  let list: EntryList<StepEntry> | null = null;
  let loading: Promise<void> | null = null;
  let time = -1;

  copyBtn.addEventListener("click", async () => {
    copyBtn.disabled = true;
    try {
      const md = await api.exportText(id, "markdown", query);
      const ok = await copyText(md);
      status.textContent = ok ? "Copied." : "Copy failed.";
    } catch (err) {
      status.textContent = "Copy failed: " + errorMessage(err);
    } finally {
      copyBtn.disabled = false;
      window.setTimeout(() => (status.textContent = ""), 2000);
    }
  });

  function load(): Promise<void> {
    loading ??= api
      .steps(id, query)
      .then((st: Steps) => {
        const entries = st.steps.map((step, i) => ({ t: Math.max(0, step.ts - startTime), step, n: i + 1 }));
        list = new EntryList(entries, row, (e) => seek(e.t), "No steps: nothing was done in this part of the session.");
        clear(body);
        body.appendChild(list.el);
        copyBtn.disabled = entries.length === 0;
        if (time >= 0) list.update(time);
        list.shown();
      })
      .catch((err: unknown) => {
        clear(body);
        body.appendChild(h("div", { class: "list-empty" }, "The steps could not be derived: " + errorMessage(err)));
        loading = null; // try again when shown again
      });
    return loading;
  }

  function row(e: StepEntry): HTMLElement {
    const s = e.step;
    const jump = h("button", { class: "btn btn-small btn-ghost jump", type: "button", title: "Jump to this step" }, "Jump");
    jump.addEventListener("click", () => seek(e.t));
    const where = s.target && !s.target.role && !s.target.label && !s.target.text && !s.target.testId ? h("div", { class: "e-source" }, s.target.css) : null;
    return h(
      "div",
      { class: `row step-row step-${s.kind}${PROBLEM_KINDS.has(s.kind) ? " step-problem" : ""}`, "data-step": String(e.n) },
      h("span", { class: "e-time" }, clock(e.t)),
      h("span", { class: "step-n" }, `${e.n}.`),
      h("div", { class: "e-body" }, h("div", { class: "e-msg" }, s.text), s.waitMs ? h("div", { class: "e-source" }, `after waiting ${(s.waitMs / 1000).toFixed(1)} s`) : null, where),
      jump,
    );
  }

  return {
    id: "steps",
    title: "Steps",
    badge: "",
    alert: false,
    el: h("section", { class: "panel", "data-panel": "steps" }, h("div", { class: "panel-toolbar" }, copyBtn, testLink, summaryBtn, status), windowNote, summaryBox, body),
    update: (t) => {
      time = t;
      list?.update(t);
    },
    shown: () => {
      if (list) list.shown();
      else void load();
    },
  };
}
