package files

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/agent"
)

// stale returns an error naming every kind whose newest export was read
// longer ago than its max_age allows. Called with c.mu held.
func (c *Connector) stale() error {
	now := c.now()
	var old []string
	var fields []string
	for _, k := range kinds {
		m := c.cfg.mapping(k)
		if m.MaxAge == nil || *m.MaxAge <= 0 {
			continue
		}
		age := now.Sub(c.readAt[k])
		if age <= *m.MaxAge {
			continue
		}
		_, name, _ := strings.Cut(c.latest[k], "~")
		if name == "" {
			name = m.Pattern
		}
		msg := fmt.Sprintf("the newest %s export (%s) was read %v ago, longer than "+
			"max_age %v allows", k, name, age.Truncate(time.Second), *m.MaxAge)
		if w := c.waitingFor(k); w != "" {
			msg += "; " + w
		}
		old = append(old, msg)
		fields = append(fields, "connector.files."+string(k)+".max_age")
	}
	if len(old) == 0 {
		return nil
	}
	return agent.WithFix(
		fmt.Errorf("files: %s; the RMS may have stopped exporting into %s",
			strings.Join(old, "; "), c.dirs.in),
		"check that the RMS's export job runs and writes into this folder (with its "+
			"marker files); if it exports less often, raise "+strings.Join(fields, " and ")+
			" in agent.yaml (0 turns the check off)",
		"проверьте, что задание выгрузки в кассовой системе работает и пишет файлы (и "+
			"файлы-маркеры) в эту папку; если выгрузка реже, увеличьте "+
			strings.Join(fields, " и ")+" в agent.yaml (0 отключает проверку)")
}

// waitingFor says which export of kind k sits in in/ not yet complete,
// or "". Called with c.mu held.
func (c *Connector) waitingFor(k kind) string {
	name := c.waiting[k]
	if name == "" {
		return ""
	}
	if c.cfg.Complete == "marker" {
		return fmt.Sprintf("%s waits for its marker file %s.done", name, name)
	}
	return fmt.Sprintf("%s is still changing", name)
}

// waitingNote lists the exports not complete yet, for an error message.
// Called with c.mu held.
func (c *Connector) waitingNote() string {
	var ws []string
	for _, k := range kinds {
		if w := c.waitingFor(k); w != "" {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return ""
	}
	return "; " + strings.Join(ws, "; ")
}

// HealthNote reports the exports set aside in quarantine over the last
// day, which the snapshot did not fail for: each kind kept its previous
// export. It returns "" when there are none.
func (c *Connector) HealthNote() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	cutoff := c.now().Add(-quarantineNoted)
	c.quar = slices.DeleteFunc(c.quar, func(q quarantined) bool { return q.at.Before(cutoff) })
	if len(c.quar) == 0 {
		return ""
	}
	last := c.quar[len(c.quar)-1]
	why := last.why
	if r := []rune(why); len(r) > 200 {
		why = string(r[:200]) + "…"
	}
	n := "1 export"
	if len(c.quar) > 1 {
		n = fmt.Sprintf("%d exports", len(c.quar))
	}
	return fmt.Sprintf("%s set aside as malformed in the last 24 h, newest %s at %s: %s "+
		"(see the .why.txt notes in %s)", n, last.name,
		last.at.In(c.dec[kindTables].loc).Format("2006-01-02 15:04"), why, c.dirs.quarantine)
}

// restoreQuarantine reads the notes of exports quarantined over the last
// day, so that a restarted agent still reports them.
func (c *Connector) restoreQuarantine() {
	entries, err := os.ReadDir(c.dirs.quarantine)
	if err != nil {
		return
	}
	cutoff := c.now().Add(-quarantineNoted)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".why.txt") {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().Before(cutoff) {
			continue
		}
		f, err := os.Open(filepath.Join(c.dirs.quarantine, e.Name()))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan()
		name, why, _ := strings.Cut(sc.Text(), ": ")
		_ = f.Close()
		c.quar = append(c.quar, quarantined{at: info.ModTime(), name: name, why: why})
	}
	slices.SortFunc(c.quar, func(a, b quarantined) int { return a.at.Compare(b.at) })
}
