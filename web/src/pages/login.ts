import { api, errorMessage } from "../api";
import { h } from "../dom";
import type { View } from "../view";

/** The login form. `done` runs after a successful login. */
export function loginView(done: () => void): View {
  const user = h("input", { name: "username", autocomplete: "username", required: true, spellcheck: "false", autocapitalize: "off" });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { class: "btn btn-primary btn-block", type: "submit" }, "Sign in");

  // Single sign-on, when the server has it: a plain link, since the sign-in
  // leaves for the provider and comes back to /auth/sso/callback.
  const next = location.pathname === "/login" ? new URLSearchParams(location.search).get("next") ?? "/" : location.pathname + location.search;
  const sso = h("div", { class: "login-sso", hidden: true },
    h("a", { class: "btn btn-block", href: `/auth/sso/start?${new URLSearchParams({ next })}` }, "Sign in with SSO"),
    h("div", { class: "login-or" }, "or with a password"),
  );
  void api.loginOptions().then((o) => { sso.hidden = !o.sso; }, () => {});
  const ssoError = new URLSearchParams(location.search).get("sso_error");
  if (ssoError) {
    error.textContent = ssoError;
    error.hidden = false;
  }

  const form = h(
    "form",
    { class: "login-card", novalidate: true },
    h("div", { class: "login-brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }), "Playhead"),
    h("h1", null, "Sign in"),
    sso,
    h("label", null, h("span", null, "Username"), user),
    h("label", null, h("span", null, "Password"), pass),
    error,
    submit,
  );

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!user.value || !pass.value) {
      error.textContent = "Enter your username and password.";
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await api.login(user.value, pass.value);
      done();
    } catch (err) {
      error.textContent = (err as { status?: number }).status === 401 ? "Wrong username or password." : errorMessage(err);
      error.hidden = false;
      pass.select();
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });

  const el = h("main", { class: "login-page" }, form);
  queueMicrotask(() => user.focus());
  return { el, title: "Sign in · Playhead" };
}
