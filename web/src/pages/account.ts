// The signed-in user's own account: who they are, and a new password.

import { api, errorMessage, isUnauthorized } from "../api";
import { h } from "../dom";
import { appHeader } from "../shell";
import type { Ctx, View } from "../view";

/** The minimum the server asks of a password (password.MinLength). */
const MIN_PASSWORD = 8;

export function accountView(ctx: Ctx): View {
  const u = ctx.me.user;
  const current = h("input", { type: "password", name: "current-password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", name: "new-password", autocomplete: "new-password", required: true, minlength: MIN_PASSWORD });
  const again = h("input", { type: "password", name: "confirm-password", autocomplete: "new-password", required: true });
  const status = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, "Change password");
  const form = h(
    "form",
    { class: "account-form", novalidate: true },
    h("h2", null, "Change password"),
    h("p", { class: "muted small" }, `At least ${MIN_PASSWORD} characters and not a common password. Your other sign-ins end when it changes.`),
    h("label", null, h("span", null, "Current password"), current),
    h("label", null, h("span", null, "New password"), next),
    h("label", null, h("span", null, "New password again"), again),
    status,
    submit,
  );
  const say = (text: string, ok = false) => {
    status.textContent = text;
    status.className = ok ? "form-ok" : "form-error";
    status.hidden = false;
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.hidden = true;
    if (!current.value || !next.value) return say("Enter your current password and a new one.");
    if (next.value !== again.value) return say("The two new passwords differ.");
    submit.disabled = true;
    try {
      await api.changePassword(current.value, next.value);
      form.reset();
      say("Password changed. Your other sign-ins have ended.", true);
    } catch (err) {
      if (isUnauthorized(err)) return ctx.unauthorized();
      say(errorMessage(err));
    } finally {
      submit.disabled = false;
    }
  });

  const sso = !!u.sso;
  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx),
    h(
      "main",
      { class: "content narrow" },
      h("h1", null, "Your account"),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "Username"),
        h("dd", null, u.username),
        h("dt", null, "Email"),
        h("dd", null, u.email || "—"),
        h("dt", null, "Signs in with"),
        h("dd", null, sso ? "single sign-on" : "a password"),
      ),
      sso ? h("p", { class: "muted" }, "You sign in through your organisation's single sign-on; your password is managed there.") : form,
    ),
  );
  return { el, title: "Your account · Playhead" };
}
