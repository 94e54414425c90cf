package config

import (
	"fmt"
	"time"
)

// Alerts configures the alerts support gets about agents (package alert).
type Alerts struct {
	// ChatID is the support chat in Telegram the alerts go to; 0 means no
	// chat: alerts are only logged.
	ChatID int64 `yaml:"chat_id"`
	// OfflineAfter is how long an agent may go unheard before support is
	// alerted.
	OfflineAfter time.Duration `yaml:"offline_after"`
	// UnhealthyAfter is how long an agent may fail to read its RMS before
	// support is alerted.
	UnhealthyAfter time.Duration `yaml:"unhealthy_after"`
	// Cooldown is how long an agent must stay well before its incident is
	// closed and the recovery sent: trouble again within it continues the
	// incident without a new alert.
	Cooldown time.Duration `yaml:"cooldown"`
	// Interval is how often agents are checked.
	Interval time.Duration `yaml:"interval"`
	// SummaryOver: more alerts than this from one check go out as one
	// message listing them.
	SummaryOver int `yaml:"summary_over"`
}

// defaultAlerts are the Alerts in Default.
func defaultAlerts() Alerts {
	return Alerts{OfflineAfter: 5 * time.Minute, UnhealthyAfter: 10 * time.Minute,
		Cooldown: 10 * time.Minute, Interval: 30 * time.Second, SummaryOver: 3}
}

// validate reports the problems of a, knowing the agents' heartbeat.
func (a Alerts) validate(heartbeat time.Duration, bad func(field, format string, args ...any)) {
	// An agent's last-seen time is written every 30s at most, on a sign
	// of life that comes every heartbeat: leave room for both.
	if least := max(time.Minute, 30*time.Second+3*heartbeat); a.OfflineAfter < least {
		bad("alerts.offline_after", "%v is too short; use at least %v (the last-seen time "+
			"is written every 30s and the agent pinged every heartbeat)", a.OfflineAfter, least)
	}
	if a.UnhealthyAfter < time.Minute {
		bad("alerts.unhealthy_after", "%v is too short; use at least 1m", a.UnhealthyAfter)
	}
	if a.Cooldown < 0 {
		bad("alerts.cooldown", "%v is negative; use 0 to close incidents at once", a.Cooldown)
	}
	if a.Interval < time.Second || a.Interval > a.OfflineAfter {
		bad("alerts.interval", "%v: use at least 1s and at most offline_after (%v)",
			a.Interval, a.OfflineAfter)
	}
	if a.SummaryOver < 1 {
		bad("alerts.summary_over", "%d: use at least 1", a.SummaryOver)
	}
}

// String describes where alerts go, for the log.
func (a Alerts) String() string {
	if a.ChatID == 0 {
		return "log only (no alerts.chat_id)"
	}
	return fmt.Sprintf("telegram chat %d", a.ChatID)
}
