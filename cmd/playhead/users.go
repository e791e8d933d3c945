package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/password"
)

const usersUsage = `Usage: playhead users COMMAND [-data DIR | -index URL] [flags]

Manages dashboard accounts on the index serve uses (-data, -index), while
the server runs or not: how an operator who is locked out gets back in.

  list                        every account: name, email, owner, state, sign-in
  create -username NAME [-email ADDRESS] [-owner | -project NAME_OR_ID -role ROLE]
                              a new account with a password: an owner (who
                              manages everything), or a member of a project
                              with a role (viewer, developer or admin)
  reset -username NAME        a new password; every login of the account ends
  disable -username NAME      the account can no longer sign in; its logins end
  enable -username NAME       the account may sign in again

A new password is read from PLAYHEAD_NEW_PASSWORD (never a flag, which
other users of the machine could see), or generated and printed once.
`

// runUsers runs "playhead users", printing to out and reading the
// environment through getenv.
func runUsers(args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(os.Stderr, usersUsage)
		return errors.New("users: say list, create, reset, disable or enable")
	}
	cmd := args[0]
	var username, email, project, role string
	var owner bool
	m, err := openData("users "+cmd, args[1:], func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(os.Stderr, usersUsage); fs.PrintDefaults() }
		if cmd != "list" {
			fs.StringVar(&username, "username", "", "the account's name")
		}
		if cmd == "create" {
			fs.StringVar(&email, "email", "", "the account's email address")
			fs.BoolVar(&owner, "owner", false, "make the account an owner of this Playhead")
			fs.StringVar(&project, "project", "", "the project (name or ID) the account joins")
			fs.StringVar(&role, "role", "viewer", "its role there: viewer, developer or admin")
		}
	})
	if err != nil {
		return err
	}
	defer m.Close(context.Background())
	ctx := context.Background()
	if cmd != "list" && username == "" {
		return fmt.Errorf("users %s: give -username", cmd)
	}
	switch cmd {
	case "list":
		return listUsers(ctx, m, out)
	case "create":
		if err := playhead.CheckUsername(username); err != nil {
			return err
		}
		var p *playhead.Project
		r, err := playhead.ParseRole(role)
		if err != nil {
			return err
		}
		switch {
		case owner && project != "":
			return errors.New("users create: an owner is an admin of every project; give -owner or -project, not both")
		case !owner && project == "":
			return errors.New("users create: give -owner, or -project and -role: an account in no project can see nothing")
		case project != "":
			if p, err = findProject(ctx, m, project); err != nil {
				return err
			}
		}
		pw, generated, err := newPassword(getenv, username, email)
		if err != nil {
			return err
		}
		h, err := password.Hash(pw)
		if err != nil {
			return err
		}
		now := time.Now()
		u := &playhead.User{Username: username, Email: email, PasswordHash: h, CreatedAt: now, Owner: owner}
		if err := m.DB.CreateUser(ctx, u); err != nil {
			return err
		}
		audit(ctx, m, playhead.AuditUserCreate, u.Username, 0, map[string]any{"owner": owner})
		if p != nil {
			if err := m.DB.SetMember(ctx, p.ID, u.ID, r); err != nil {
				return err
			}
			audit(ctx, m, playhead.AuditMemberSet, u.Username, p.ID, map[string]any{"role": string(r)})
			fmt.Fprintf(out, "created %s (ID %d), %s of %s\n", u.Username, u.ID, r, p.Name)
		} else {
			fmt.Fprintf(out, "created %s (ID %d), an owner\n", u.Username, u.ID)
		}
		printPassword(out, pw, generated)
	case "reset":
		u, err := m.DB.UserByName(ctx, username)
		if err != nil {
			return err
		}
		if u.OIDCSubject != "" {
			return fmt.Errorf("users reset: %s signs in through single sign-on and has no password here", u.Username)
		}
		pw, generated, err := newPassword(getenv, u.Username, u.Email)
		if err != nil {
			return err
		}
		h, err := password.Hash(pw)
		if err != nil {
			return err
		}
		if err := m.DB.SetPassword(ctx, u.ID, h, time.Now(), ""); err != nil {
			return err
		}
		audit(ctx, m, playhead.AuditPasswordReset, u.Username, 0, nil)
		fmt.Fprintf(out, "reset the password of %s; every login of the account has ended\n", u.Username)
		printPassword(out, pw, generated)
	case "disable", "enable":
		u, err := m.DB.UserByName(ctx, username)
		if err != nil {
			return err
		}
		if err := m.DB.SetDisabled(ctx, u.ID, cmd == "disable"); err != nil {
			return err
		}
		action := playhead.AuditUserEnable
		if cmd == "disable" {
			action = playhead.AuditUserDisable
		}
		audit(ctx, m, action, u.Username, 0, nil)
		if cmd == "disable" {
			fmt.Fprintf(out, "disabled %s; every login of the account has ended\n", u.Username)
		} else {
			fmt.Fprintf(out, "enabled %s\n", u.Username)
		}
	default:
		fmt.Fprint(os.Stderr, usersUsage)
		return fmt.Errorf("users: unknown command %q", cmd)
	}
	return nil
}

func listUsers(ctx context.Context, m *app.Main, out io.Writer) error {
	list, err := m.DB.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tOWNER\tSTATE\tSIGNS IN WITH\tPASSWORD CHANGED")
	for _, u := range list {
		state, how, changed := "active", "password", "-"
		if u.Disabled {
			state = "disabled"
		}
		if u.OIDCSubject != "" {
			how = "single sign-on"
		}
		if !u.PasswordChangedAt.IsZero() {
			changed = u.PasswordChangedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		isOwner := "-"
		if u.Owner {
			isOwner = "owner"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, orDash(u.Email), isOwner, state, how, changed)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// newPassword returns PLAYHEAD_NEW_PASSWORD, checked like any new
// password, or a generated one.
func newPassword(getenv func(string) string, names ...string) (pw string, generated bool, err error) {
	if pw = getenv("PLAYHEAD_NEW_PASSWORD"); pw != "" {
		if err := password.Check(pw, names...); err != nil {
			return "", false, fmt.Errorf("PLAYHEAD_NEW_PASSWORD: %s", playhead.ErrorMessage(err))
		}
		return pw, false, nil
	}
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b), true, nil
}

func printPassword(out io.Writer, pw string, generated bool) {
	if generated {
		fmt.Fprintf(out, "password: %s\n(shown only this once)\n", pw)
	}
}

// findProject returns the project named (without case) or numbered v.
func findProject(ctx context.Context, m *app.Main, v string) (*playhead.Project, error) {
	list, err := m.DB.Projects(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		if strings.EqualFold(p.Name, v) || strconv.FormatInt(p.ID, 10) == v {
			return p, nil
		}
	}
	return nil, playhead.Errorf(playhead.ENOTFOUND, "no project is named %q or has that ID", v)
}

// audit records what the command did in the audit log, as done from the
// command line (by whoever can read the index).
func audit(ctx context.Context, m *app.Main, action, target string, projectID int64, detail map[string]any) {
	e := playhead.AuditEntry{At: time.Now(), ActorName: "command line", Action: action, Target: target, ProjectID: projectID, Detail: detail}
	if err := m.DB.AddAudit(ctx, e); err != nil {
		fmt.Fprintln(os.Stderr, "playhead: the audit log was not written:", err)
	}
}
