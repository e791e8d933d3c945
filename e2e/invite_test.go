package e2e_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestInviteByLinkInTheBrowser: the owner makes an invitation link on the
// Members page; a person opens it in another browser, chooses a name and
// password, and lands on the sessions list as a viewer, without the pages
// a viewer cannot use. The link does not work twice.
func TestInviteByLinkInTheBrowser(t *testing.T) {
	m := startPlayhead(t)
	owner := newBrowser(t)
	setLoginCookie(t, owner, m)
	do(t, owner, "create an invitation",
		navigate(m.URL()+"/members"),
		chromedp.WaitVisible(chromedp.CSS(`.invite-form button`)),
		chromedp.SetValue(chromedp.CSS(`.invite-form input[name=invite-email]`), "vera@example.com"),
		chromedp.Click(chromedp.CSS(`.invite-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`.invite-link`)),
	)
	link := eval[string](t, owner, `document.querySelector(".invite-link").textContent`)
	if !strings.HasPrefix(link, m.URL()+"/invite#phi_") {
		t.Fatalf("the invitation link is %q", link)
	}
	if got := eval[string](t, owner, `document.querySelector(".invites li")?.textContent ?? ""`); !strings.Contains(got, "vera@example.com as viewer") {
		t.Fatalf("the open invitations say %q", got)
	}

	vera := newBrowser(t)
	do(t, vera, "accept the invitation",
		navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=username]`), "vera"),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), "vera's long passphrase"),
		chromedp.SetValue(chromedp.CSS(`input[name=confirm-password]`), "vera's long passphrase"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
	)
	waitAcrossPages(t, vera, `location.pathname === "/" && document.querySelector(".topbar .user")?.textContent === "vera"`)
	nav := eval[string](t, vera, `[...document.querySelectorAll(".topnav a")].map((a) => a.textContent).join(",")`)
	if strings.Contains(nav, "Settings") || strings.Contains(nav, "Members") || strings.Contains(nav, "People") || !strings.Contains(nav, "Sessions") {
		t.Fatalf("a viewer's navigation shows %q", nav)
	}

	// The owner disables vera on the People page: her next request finds
	// her signed out.
	do(t, owner, "open People", navigate(m.URL()+"/users"), chromedp.WaitVisible(chromedp.CSS(`table.users tbody tr`)))
	eval[bool](t, owner, `window.confirm = () => true; [...[...document.querySelectorAll("table.users tbody tr")].find((tr) => tr.cells[0].textContent === "vera").querySelectorAll("button")].find((b) => b.textContent === "Disable").click(), true`)
	waitAcrossPages(t, owner, `[...document.querySelectorAll("table.users tbody tr")].some((tr) => tr.cells[0].textContent === "vera" && tr.cells[3].textContent === "disabled")`)
	do(t, vera, "reload", navigate(m.URL()+"/"))
	waitAcrossPages(t, vera, `document.querySelector(".login-card h1")?.textContent === "Sign in"`)

	again := newBrowser(t)
	do(t, again, "open the used link", navigate(link))
	waitAcrossPages(t, again, `!document.querySelector(".form-error").hidden`)
	if msg := eval[string](t, again, `document.querySelector(".form-error").textContent`); !strings.Contains(msg, "was used already") {
		t.Fatalf("a used link says %q", msg)
	}
}
