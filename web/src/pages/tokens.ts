// API tokens of the project (developer): list, create (the secret is shown
// once), revoke. Scopes that erase data or act as an admin need an admin.

import { api, errorMessage, isUnauthorized } from "../api";
import { copyButton } from "../clipboard";
import { clear, h } from "../dom";
import { absolute, relative } from "../format";
import { atLeast } from "../project";
import { appHeader } from "../shell";
import type { ApiToken } from "../types";
import type { Ctx, View } from "../view";

const SCOPES: [string, string, boolean][] = [
  ["sessions:read", "Read sessions, replays, reports and assets", false],
  ["otlp", "Send backend traces and logs (OTLP)", false],
  ["sourcemaps", "Upload and list releases' source maps (CI)", false],
  ["erase", "Erase sessions and users' data", true],
  ["admin", "Everything a project admin may do", true],
];

function when(iso: string): HTMLElement {
  const t = Date.parse(iso);
  return t > 0 ? h("span", { title: absolute(t) }, relative(t)) : h("span", { class: "muted" }, "never");
}

export function tokensView(ctx: Ctx): View {
  let destroyed = false;
  const admin = atLeast(ctx.me.role, "admin");
  const status = h("div", { class: "list-status" }, "Loading…");
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "sessions tokens", hidden: true },
    h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Scopes"), h("th", null, "Token"), h("th", null, "Created"), h("th", null, "Last used"), h("th", null, ""))),
    tbody,
  );
  const secretBox = h("div", { class: "wh-secret", hidden: true });
  const name = h("input", { type: "text", name: "name", placeholder: "Name, e.g. checkout-api", required: true, maxlength: 100 });
  const boxes = SCOPES.map(([scope, label, needsAdmin]) => {
    const box = h("input", { type: "checkbox", name: "scope", value: scope, disabled: needsAdmin && !admin });
    return h("label", { class: "scope", title: needsAdmin && !admin ? "Needs the admin role" : undefined }, box, ` ${scope} `, h("span", { class: "muted small" }, label));
  });
  const formMsg = h("div", { class: "form-error", role: "alert", hidden: true });
  const create = h("button", { class: "btn btn-primary", type: "submit" }, "Create token");
  const form = h("form", { class: "token-form" }, name, h("div", { class: "scopes" }, boxes), create);
  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx),
    h(
      "main",
      { class: "content" },
      h("div", { class: "list-head" }, h("h1", null, "API tokens")),
      h("p", { class: "muted" }, "Programs call the API with a token as ", h("code", null, "Authorization: Bearer TOKEN"), ". Backends send OpenTelemetry traces and logs with a token of scope otlp. Playhead keeps only a hash: a secret is shown once."),
      form,
      formMsg,
      secretBox,
      table,
      status,
    ),
  );

  function fail(err: unknown, what: string): void {
    if (isUnauthorized(err)) return ctx.unauthorized();
    formMsg.textContent = `${what}: ${errorMessage(err)}`;
    formMsg.hidden = false;
  }

  function showSecret(t: ApiToken, secret: string): void {
    clear(secretBox);
    const copy = h("button", { class: "btn btn-small", type: "button" }, "Copy");
    copyButton(copy, () => secret);
    const done = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Done");
    done.addEventListener("click", () => {
      clear(secretBox);
      secretBox.hidden = true;
    });
    secretBox.append(
      h("div", null, h("strong", null, "New token "), t.name),
      h("div", { class: "install-row" }, h("code", { class: "install-key token-secret" }, secret), copy, done),
      h("p", { class: "muted small" }, "Copy it now: it is shown only once."),
    );
    secretBox.hidden = false;
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const scopes = boxes.map((b) => b.querySelector("input")!).filter((b) => b.checked).map((b) => b.value);
    formMsg.hidden = true;
    create.disabled = true;
    api.createToken(name.value, scopes).then(
      (res) => {
        if (destroyed) return;
        name.value = "";
        showSecret(res.token, res.secret);
        void load();
      },
      (err) => !destroyed && fail(err, "Could not create the token"),
    ).finally(() => (create.disabled = false));
  });

  function row(t: ApiToken): HTMLTableRowElement {
    const revoke = h("button", { class: "btn btn-small btn-danger", type: "button" }, "Revoke");
    revoke.addEventListener("click", () => {
      if (!confirm(`Revoke ${t.name}? Programs using it are refused at once.`)) return;
      api.revokeToken(t.id).then(
        () => !destroyed && void load(),
        (err) => !destroyed && fail(err, "Could not revoke"),
      );
    });
    return h(
      "tr",
      null,
      h("td", null, t.name),
      h("td", null, (t.scopes ?? []).map((s) => h("span", { class: "badge" }, s))),
      h("td", null, h("code", null, t.hint + "…")),
      h("td", null, when(t.createdAt)),
      h("td", null, when(t.lastUsedAt)),
      h("td", null, revoke),
    );
  }

  async function load(): Promise<void> {
    try {
      const res = await api.tokens();
      if (destroyed) return;
      clear(tbody);
      for (const t of res.tokens ?? []) tbody.appendChild(row(t));
      table.hidden = !(res.tokens ?? []).length;
      status.textContent = table.hidden ? "No tokens yet." : "";
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      status.textContent = "Could not load the tokens: " + errorMessage(err);
      status.classList.add("error");
    }
  }
  void load();

  return {
    el,
    title: "API tokens · Playhead",
    destroy() {
      destroyed = true;
    },
  };
}
