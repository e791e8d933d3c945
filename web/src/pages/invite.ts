// The invitation page, /invite#TOKEN: choose a username and a password,
// and join the project the invitation is for. The token stays in the URL's
// fragment, which is never sent to a server; the page sends it in a body.

import { api, errorMessage } from "../api";
import { h } from "../dom";
import type { View } from "../view";

/** The minimum the server asks of a password (password.MinLength). */
const MIN_PASSWORD = 8;

export function inviteView(done: () => void): View {
  const token = decodeURIComponent(location.hash.slice(1));
  const about = h("p", { class: "muted" }, "Checking the invitation…");
  const user = h("input", { name: "username", autocomplete: "username", required: true, spellcheck: "false", autocapitalize: "off", maxlength: 64 });
  const pass = h("input", { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: MIN_PASSWORD });
  const again = h("input", { name: "confirm-password", type: "password", autocomplete: "new-password", required: true });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { class: "btn btn-primary btn-block", type: "submit", disabled: true }, "Create account");
  const fields = h(
    "div",
    { class: "login-sso", hidden: true },
    h("label", null, h("span", null, "Username"), user),
    h("label", null, h("span", null, "Password"), pass),
    h("p", { class: "muted small" }, `At least ${MIN_PASSWORD} characters, not a common password.`),
    h("label", null, h("span", null, "Password again"), again),
  );
  const form = h(
    "form",
    { class: "login-card", novalidate: true },
    h("div", { class: "login-brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }), "Playhead"),
    h("h1", null, "Join Playhead"),
    about,
    fields,
    error,
    submit,
  );
  const fail = (text: string) => {
    error.textContent = text;
    error.hidden = false;
  };

  if (!token) {
    about.textContent = "This link holds no invitation. Ask whoever invited you for the whole link.";
  } else {
    api.inviteLookup(token).then(
      (inv) => {
        about.textContent = `You are invited to the project ${inv.project} as ${inv.role === "admin" ? "an" : "a"} ${inv.role}. The invitation expires ${new Date(inv.expiresAt).toLocaleString()}.`;
        if (inv.email) user.value = inv.email.split("@")[0] ?? "";
        fields.hidden = false;
        submit.disabled = false;
        user.focus();
      },
      (err) => {
        about.textContent = "";
        fail(errorMessage(err));
      },
    );
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!user.value.trim() || !pass.value) return fail("Choose a username and a password.");
    if (pass.value !== again.value) return fail("The two passwords differ.");
    submit.disabled = true;
    submit.textContent = "Creating…";
    try {
      await api.acceptInvite(token, user.value.trim(), pass.value);
      history.replaceState(null, "", "/");
      done();
    } catch (err) {
      fail(errorMessage(err));
    } finally {
      submit.disabled = false;
      submit.textContent = "Create account";
    }
  });

  return { el: h("main", { class: "login-page" }, form), title: "Join · Playhead" };
}
