package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
)

// stdin is where user add reads a password when STOLIK_USER_PASSWORD is
// not set; a variable so tests can feed it.
var stdin io.Reader = os.Stdin

// userAdd creates a dashboard account: support (every venue) or staff of
// the venues named.
func userAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email, role, venues, lang string
	c, _, err := loadConfig("user add", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the person's email: their login")
		fs.StringVar(&role, "role", "", "support (every venue) or staff (--venue only)")
		fs.StringVar(&venues, "venue", "", "staff: venue names or ids, comma-separated")
		fs.StringVar(&lang, "lang", "", "the dashboard's language for them: ru or en "+
			"(default: the browser's, else ru for staff and en for support)")
	})
	if err != nil {
		return err
	}
	u := hub.User{ID: hub.NewID("usr"), Email: hub.NormalizeEmail(email), Role: hub.Role(role),
		Lang: lang, CreatedAt: time.Now().UTC()}
	switch {
	case u.Email == "":
		return errors.New("user add: --email is required")
	case u.Role != hub.RoleSupport && u.Role != hub.RoleStaff:
		return errors.New("user add: --role must be support or staff")
	case u.Role == hub.RoleStaff && strings.TrimSpace(venues) == "":
		return errors.New("user add: staff need --venue (names or ids, comma-separated)")
	case u.Role == hub.RoleSupport && venues != "":
		return errors.New("user add: support sees every venue; drop --venue")
	case u.Lang != "" && !slices.Contains(hub.UserLangs, u.Lang):
		return errors.New("user add: --lang must be ru or en")
	}
	password, err := readPassword(stderr)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if u.PasswordHash, err = web.HashPassword(password, 0); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	if u.Role == hub.RoleStaff {
		if u.VenueIDs, err = venueIDs(ctx, store, venues); err != nil {
			return fmt.Errorf("user add: %w", err)
		}
	}
	if err := store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, hub.ErrExists) {
			return fmt.Errorf("user add: %s already has an account", u.Email)
		}
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(stdout, "id: %s\nemail: %s\nrole: %s\n", u.ID, u.Email, u.Role)
	if len(u.VenueIDs) > 0 {
		fmt.Fprintf(stdout, "venues: %s\n", strings.Join(u.VenueIDs, ","))
	}
	if u.Lang != "" {
		fmt.Fprintf(stdout, "lang: %s\n", u.Lang)
	}
	return nil
}

// readPassword takes STOLIK_USER_PASSWORD, else asks: without echo on a
// terminal, else one line of standard input.
func readPassword(prompt io.Writer) (string, error) {
	if p, ok := os.LookupEnv("STOLIK_USER_PASSWORD"); ok {
		return p, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(b) != string(again) {
			return "", errors.New("the two passwords differ")
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password: set STOLIK_USER_PASSWORD or type it on " +
			"standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// venueIDs resolves comma-separated venue names or ids.
func venueIDs(ctx context.Context, store hub.Store, list string) ([]string, error) {
	all, err := store.Venues(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, want := range strings.Split(list, ",") {
		want = strings.TrimSpace(want)
		i := slices.IndexFunc(all, func(v hub.Venue) bool { return v.ID == want || v.Name == want })
		if i < 0 {
			return nil, fmt.Errorf("no venue named %q; see stolik-hub agent list", want)
		}
		if !slices.Contains(ids, all[i].ID) {
			ids = append(ids, all[i].ID)
		}
	}
	return ids, nil
}
