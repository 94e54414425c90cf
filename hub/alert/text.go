package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
)

// maxListed bounds the incidents a summary lists, to stay well inside a
// Telegram message (4,096 characters).
const maxListed = 30

// message returns the Notifier key and text of one incident opened (open)
// or resolved.
func message(in hub.Incident, open bool, names map[string]string, now time.Time) (
	key, text string) {
	if open {
		return "incident/" + in.ID + "/open", "ALERT " + describe(in, names, now)
	}
	return "incident/" + in.ID + "/resolved", "RESOLVED " + describeResolved(in, names)
}

// summary returns the Notifier key and text of one message about many
// incidents opened (open) or resolved. The key is made from their ids, so
// a check retried over the same incidents sends the same key.
func summary(list []hub.Incident, open bool, names map[string]string, now time.Time) (
	key, text string) {
	h := sha256.New()
	for _, in := range list {
		h.Write([]byte(in.ID))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil)[:12])

	var b strings.Builder
	if open {
		key = "incidents/open/" + sum
		fmt.Fprintf(&b, "ALERT %d agents in trouble:\n", len(list))
	} else {
		key = "incidents/resolved/" + sum
		fmt.Fprintf(&b, "RESOLVED %d agents are well again:\n", len(list))
	}
	for i, in := range list {
		if i == maxListed {
			fmt.Fprintf(&b, "... and %d more\n", len(list)-maxListed)
			break
		}
		if open {
			fmt.Fprintf(&b, "- %s\n", describe(in, names, now))
		} else {
			fmt.Fprintf(&b, "- %s\n", describeResolved(in, names))
		}
	}
	return key, strings.TrimSuffix(b.String(), "\n")
}

// agentName names an agent by its venue, with the ids support looks up.
func agentName(in hub.Incident, names map[string]string) string {
	if name := names[in.VenueID]; name != "" {
		return fmt.Sprintf("%s (agent %s)", name, in.AgentID)
	}
	return "agent " + in.AgentID
}

func describe(in hub.Incident, names map[string]string, now time.Time) string {
	who := agentName(in, names)
	since := fmt.Sprintf("since %s (%s)", clock(in.Since, now), minutes(now.Sub(in.Since)))
	if in.Kind == hub.IncidentUnhealthy {
		return fmt.Sprintf("%s cannot read its RMS %s: %s", who, since, in.Detail)
	}
	return fmt.Sprintf("%s offline: not heard from %s", who, since)
}

func describeResolved(in hub.Incident, names map[string]string) string {
	who := agentName(in, names)
	if in.Detail == detailRevoked && in.Kind == hub.IncidentOffline {
		return fmt.Sprintf("%s revoked; its offline alert is closed", who)
	}
	if in.Detail == detailRevoked {
		return fmt.Sprintf("%s revoked; its RMS alert is closed", who)
	}
	lasted := minutes(in.ClearedAt.Sub(in.Since))
	if in.Kind == hub.IncidentUnhealthy {
		return fmt.Sprintf("%s reads its RMS again (failed for %s)", who, lasted)
	}
	return fmt.Sprintf("%s back online (was offline for %s)", who, lasted)
}

// clock writes t in UTC, with the date unless it is now's.
func clock(t, now time.Time) string {
	t = t.UTC()
	if t.YearDay() == now.UTC().YearDay() && t.Year() == now.UTC().Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}

// minutes writes d rounded to minutes, at least one.
func minutes(d time.Duration) string {
	d = max(d.Round(time.Minute), time.Minute)
	return strings.TrimSuffix(d.String(), "0s")
}
