package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/stolik/stolik/agent/config"
)

// EnrollPath is where a hub exchanges enrollment codes for credentials.
const EnrollPath = "/api/v1/enroll"

// ErrCodeRefused means the hub does not accept the enrollment code: it is
// unknown, already used or expired.
var ErrCodeRefused = errors.New("enrollment code refused")

// Enrollment is what a hub gives an agent for its enrollment code.
type Enrollment struct {
	Hub     config.Hub // the hub's URL, the agent's id and secret
	VenueID string
}

// Enroll exchanges a one-time enrollment code for the agent's credential at
// the hub whose base URL is hubURL (https:// or wss://; http:// and ws://
// on a LAN). Every error says what to do about it; a refused code wraps
// ErrCodeRefused.
func Enroll(ctx context.Context, client *http.Client, hubURL, code string) (Enrollment, error) {
	base, err := HubBase(hubURL)
	if err != nil {
		return Enrollment{}, err
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return Enrollment{}, errors.New("the enrollment code is empty; write the code " +
			"Stolik support gave you (stolik-hub enroll prints it)")
	}

	body, _ := json.Marshal(map[string]string{"code": code})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+EnrollPath,
		bytes.NewReader(body))
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Enrollment{}, fmt.Errorf("cannot reach the hub at %s: %w; check the "+
			"address and that this server may connect out to it (port 443 for https)",
			base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))

	var answer struct {
		AgentID string `json:"agent_id"`
		Secret  string `json:"secret"`
		VenueID string `json:"venue_id"`
		Error   string `json:"error"`
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct != "application/json" || json.Unmarshal(b, &answer) != nil {
		return Enrollment{}, fmt.Errorf("%s answered %s with no Stolik reply: it does "+
			"not look like a Stolik hub; check --hub (the address you were given, "+
			"such as https://hub.example.ru)", base+EnrollPath, resp.Status)
	}
	switch {
	case resp.StatusCode == http.StatusGone:
		return Enrollment{}, fmt.Errorf("%w: %s; ask Stolik support for a new code "+
			"(each code works once, for a limited time) and run enroll again",
			ErrCodeRefused, answer.Error)
	case resp.StatusCode != http.StatusOK:
		return Enrollment{}, fmt.Errorf("the hub refused enrollment (%s): %s",
			resp.Status, answer.Error)
	case answer.AgentID == "" || answer.Secret == "":
		return Enrollment{}, fmt.Errorf("the hub at %s answered without an agent id or "+
			"secret; check --hub", base)
	}
	return Enrollment{
		Hub: config.Hub{
			URLs:    []string{strings.TrimRight(strings.TrimSpace(hubURL), "/")},
			AgentID: answer.AgentID, Secret: answer.Secret,
		},
		VenueID: answer.VenueID,
	}, nil
}

// HubBase turns a hub URL as the agent's config writes it (ws, wss, http or
// https) into the HTTP base address of its API, without a trailing slash.
func HubBase(hubURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(hubURL))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("--hub %q is not an address like https://hub.example.ru", hubURL)
	}
	switch u.Scheme {
	case "https", "wss":
		u.Scheme = "https"
	case "http", "ws":
		u.Scheme = "http"
	default:
		return "", fmt.Errorf("--hub %q: use https:// (or http:// on a LAN)", hubURL)
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}
