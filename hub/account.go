package hub

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Role is what a dashboard account (or an API key) may see and do.
type Role string

// Roles.
const (
	// RoleSupport sees and acts on every venue and agent.
	RoleSupport Role = "support"
	// RoleStaff sees and acts on its own venues only.
	RoleStaff Role = "staff"
)

// User is a dashboard account: Stolik support or a venue's staff. Only a
// hash of the password is kept (PasswordHash, in the format the web
// package writes: bcrypt today).
type User struct {
	ID           string `json:"id"`
	Email        string `json:"email"`
	PasswordHash []byte `json:"-"`
	Role         Role   `json:"role"`
	// VenueIDs are the venues a staff account works for; empty for support.
	VenueIDs []string `json:"venue_ids"`
	// Lang is the language the dashboard speaks to the account: "ru",
	// "en", or "" to go by the browser's (see UserLangs).
	Lang      string    `json:"lang,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// UserLangs are the languages an account may prefer.
var UserLangs = []string{"ru", "en"}

// Allows reports whether u may see and act on venueID.
func (u User) Allows(venueID string) bool {
	return u.Role == RoleSupport || u.Role == RoleStaff && slices.Contains(u.VenueIDs, venueID)
}

// NormalizeEmail is how an email is compared and kept: trimmed, lower case.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// Validate checks what every store requires of a new user.
func (u User) Validate() error {
	var errs []error
	if u.ID == "" {
		errs = append(errs, errors.New("id is required"))
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email ||
		u.Email != NormalizeEmail(u.Email) {
		errs = append(errs, fmt.Errorf("email %q is not a lower-case address like a@b.ru",
			u.Email))
	}
	if len(u.PasswordHash) == 0 {
		errs = append(errs, errors.New("password hash is required"))
	}
	if u.Lang != "" && !slices.Contains(UserLangs, u.Lang) {
		errs = append(errs, fmt.Errorf("lang %q: want ru, en or none", u.Lang))
	}
	switch u.Role {
	case RoleSupport:
		if len(u.VenueIDs) > 0 {
			errs = append(errs, errors.New("support sees every venue: give no venues"))
		}
	case RoleStaff:
		if len(u.VenueIDs) == 0 {
			errs = append(errs, errors.New("staff need at least one venue"))
		}
	default:
		errs = append(errs, fmt.Errorf("role %q: want support or staff", u.Role))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w user: %w", ErrInvalid, err)
	}
	return nil
}

// Session is a signed-in dashboard user. The session id lives only in the
// user's cookie; stores keep its SHA-256 (IDHash), so a copy of the store
// cannot be used to sign in. CSRF is the synchronizer token forms of this
// session must carry.
type Session struct {
	IDHash    []byte    `json:"-"`
	UserID    string    `json:"user_id"`
	CSRF      string    `json:"csrf"`
	CreatedAt time.Time `json:"created_at"`
	Expires   time.Time `json:"expires"`
}

// AgentSample is one minute of an agent's history, for the dashboard's
// charts: cumulative figures at the end of the minute, so a missed minute
// loses nothing but its resolution.
type AgentSample struct {
	AgentID string `json:"agent_id"`
	// Minute is the sample's minute, truncated.
	Minute time.Time `json:"minute"`
	// AppliedEvents is the agent's cumulative applied event count.
	AppliedEvents uint64 `json:"applied_events"`
	Backlog       uint64 `json:"backlog"`
	Connected     bool   `json:"connected"`
	// ConnectedSince is when the agent's connection started; a change
	// between samples is a reconnect.
	ConnectedSince time.Time `json:"connected_since,omitzero"`
}

// SampleRetention is how long agent samples are kept.
const SampleRetention = 24 * time.Hour

// ValidateAPIKey checks what every store requires of a new API key: an id
// and hash, and venues for a venue key, none for a support key.
func ValidateAPIKey(k APIKey) error {
	switch {
	case k.ID == "" || len(k.KeyHash) == 0:
		return fmt.Errorf("%w: id and hash are required", ErrInvalid)
	case k.Role == "" && len(k.VenueIDs) == 0:
		return fmt.Errorf("%w: a venue key needs venues", ErrInvalid)
	case k.Role == RoleSupport && len(k.VenueIDs) > 0:
		return fmt.Errorf("%w: a support key acts for every venue: give no venues", ErrInvalid)
	case k.Role != "" && k.Role != RoleSupport:
		return fmt.Errorf("%w: api key role %q: want support or none", ErrInvalid, k.Role)
	}
	return nil
}
