package e2e_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testservers/oidcprovider"
)

// TestSignInWithSSOButton signs in through the login page's "Sign in with
// SSO" button in Chromium, against a real OpenID provider: the person
// lands on the dashboard as a new member; one of a domain not allowed is
// back on the login page, told why.
func TestSignInWithSSOButton(t *testing.T) {
	idp := oidcprovider.Start(t)
	m := &app.Main{
		Config: app.Config{
			Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "false", AdminPassword: adminPassword, LogLevel: "warn",
			OIDCIssuer: idp.Issuer, OIDCClientID: idp.ClientID, OIDCClientSecret: idp.ClientSecret, OIDCAllowedDomains: "example.com",
		},
		Stderr: io.Discard,
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	idp.AllowRedirect(m.URL() + "/auth/sso/callback")

	ctx := newBrowser(t)
	idp.SignInAs(oidcprovider.User{Subject: "sub-ada", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
	do(t, ctx, "sign in with SSO",
		navigate(m.URL()+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`.login-sso a`)),
		chromedp.Click(chromedp.CSS(`.login-sso a`)),
	)
	waitAcrossPages(t, ctx, `location.pathname === "/" && document.querySelector(".topbar .user")?.textContent === "ada@example.com"`)

	eval[bool](t, ctx, `[...document.querySelectorAll(".topbar-right button")].find((b) => b.textContent === "Log out").click() ?? true`)
	waitAcrossPages(t, ctx, `location.pathname === "/login" && !document.querySelector(".login-sso").hidden`)
	idp.SignInAs(oidcprovider.User{Subject: "sub-eve", Email: "eve@example.org", EmailVerified: true})
	do(t, ctx, "sign in from another domain", chromedp.Click(chromedp.CSS(`.login-sso a`)))
	waitAcrossPages(t, ctx, `location.pathname === "/login" && !document.querySelector(".form-error").hidden`)
	if msg := eval[string](t, ctx, `document.querySelector(".form-error").textContent`); msg != "eve@example.org may not sign in: addresses at example.org are not among the email domains this Playhead allows" {
		t.Fatalf("the login page says %q", msg)
	}
}

// waitAcrossPages waits until cond is true in the tab, through the
// navigations of a sign-in (each of which ends the page an evaluation
// runs in).
func waitAcrossPages(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			url, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
			t.Fatalf("waited 20s at %s for %s (last error %v)", url, cond, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
