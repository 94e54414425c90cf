package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/agent"
)

// markers are the suffixes of the companion files that say an export is
// complete.
var markers = []string{".done", ".ok"}

func isMarker(name string) bool {
	for _, m := range markers {
		if strings.HasSuffix(name, m) {
			return true
		}
	}
	return false
}

// isTemp reports names a writer uses while a file is not finished.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") ||
		strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") ||
		strings.HasSuffix(name, ".refused") || strings.HasSuffix(name, ".why.txt")
}

func matchName(pattern, name string) (bool, error) {
	return path.Match(strings.ToLower(pattern), strings.ToLower(name))
}

// markersOf lists the marker names that may accompany the export name.
func markersOf(name string) []string {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	var out []string
	for _, m := range markers {
		out = append(out, name+m, stem+m)
	}
	return out
}

// candidate is an export waiting in in/.
type candidate struct {
	name    string
	info    fs.FileInfo
	markers []string // the marker files present beside it
}

// scan reads every complete export in in/, oldest first, and applies the
// good ones. Called with c.mu held.
func (c *Connector) scan() error {
	entries, err := os.ReadDir(c.dirs.in)
	if err != nil {
		return agent.WithFix(fmt.Errorf("files: read export folder: %w", err),
			"check that the exchange folder (connector.files.dir in agent.yaml) exists and "+
				"is reachable; a network share may be disconnected",
			"проверьте, что папка обмена (connector.files.dir в agent.yaml) существует и "+
				"доступна; возможно, отключён сетевой диск")
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}

	// A refusal is kept in sent/, where a create or cancel waiting for it
	// (or retried later) finds it.
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".refused"); ok && e.Type().IsRegular() {
			if err := c.refused(name); err != nil {
				// TODO(#6): a refusal that comes after the wait ended reaches
				// the hub only as the booking's confirm timeout.
				c.log.Warn("the RMS refused an import", "file", name, "err", err)
			}
		}
	}

	claimed := map[string]bool{}
	now := c.now()
	for _, k := range kinds {
		var cands []candidate
		c.waiting[k] = ""
		for _, e := range entries {
			n := e.Name()
			if claimed[n] || !e.Type().IsRegular() || isMarker(n) || isTemp(n) {
				continue
			}
			if ok, _ := matchName(c.cfg.mapping(k).Pattern, n); !ok {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // gone since the listing
			}
			claimed[n] = true
			if s, ok := c.stuck[n]; ok && s.size == info.Size() &&
				s.mtime.Equal(info.ModTime()) {
				continue // malformed, could not be moved, unchanged since
			}
			delete(c.stuck, n)
			cand := candidate{name: n, info: info}
			for _, m := range markersOf(n) {
				if names[m] {
					cand.markers = append(cand.markers, m)
				}
			}
			cands = append(cands, cand)
		}
		slices.SortFunc(cands, func(a, b candidate) int {
			if c := a.info.ModTime().Compare(b.info.ModTime()); c != 0 {
				return c
			}
			return strings.Compare(a.name, b.name)
		})
		for _, cand := range cands {
			if !c.complete(cand, now) {
				c.waiting[k] = cand.name
				continue
			}
			c.take(k, cand, now)
		}
	}
	for n := range c.seen {
		if !names[n] {
			delete(c.seen, n)
		}
	}
	for n := range c.stuck {
		if !names[n] {
			delete(c.stuck, n)
		}
	}
	if now.Sub(c.pruned) > time.Hour {
		c.pruned = now
		c.prune(now)
	}
	return nil
}

// complete reports whether cand is fully written.
func (c *Connector) complete(cand candidate, now time.Time) bool {
	mode := c.cfg.Complete
	if len(cand.markers) > 0 && mode != "stable" {
		return true
	}
	if mode == "marker" {
		return false
	}
	s, ok := c.seen[cand.name]
	if !ok || s.size != cand.info.Size() || !s.mtime.Equal(cand.info.ModTime()) {
		c.seen[cand.name] = sample{size: cand.info.Size(), mtime: cand.info.ModTime(),
			since: now}
		return false
	}
	return now.Sub(s.since) >= c.cfg.Settle
}

// take reads one complete export and applies it, or quarantines it.
func (c *Connector) take(k kind, cand candidate, now time.Time) {
	src := filepath.Join(c.dirs.in, cand.name)
	delete(c.seen, cand.name)
	p, err := c.read(src, k)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		c.quarantine(cand, err)
		return
	}
	c.apply(k, p)
	c.readAt[k] = now
	stamp := now.UTC().Format(stampLayout)
	dst := stamp + "~" + cand.name
	if err := os.Rename(src, filepath.Join(c.dirs.done, dst)); err != nil {
		// It is read again next time, which changes nothing.
		c.log.Warn("cannot move a read export to done", "file", src, "err", err)
		return
	}
	c.latest[k] = dst
	for _, m := range cand.markers {
		_ = os.Rename(filepath.Join(c.dirs.in, m), filepath.Join(c.dirs.done, stamp+"~"+m))
	}
	c.log.Debug("export read", "file", cand.name, "kind", string(k))
}

// quarantine moves a malformed export aside with a note saying why.
func (c *Connector) quarantine(cand candidate, why error) {
	src := filepath.Join(c.dirs.in, cand.name)
	dst := filepath.Join(c.dirs.quarantine, cand.name)
	if _, err := os.Stat(dst); err == nil {
		ext := filepath.Ext(cand.name)
		dst = filepath.Join(c.dirs.quarantine, strings.TrimSuffix(cand.name, ext)+"-"+
			c.now().UTC().Format(stampLayout)+ext)
	}
	msg := fmt.Sprintf("%s: %v\n\nThe file was not used; the previous export of this "+
		"kind stays in effect.\nФайл не загружен; действует предыдущая выгрузка.\n",
		cand.name, why)
	attrs := []any{"file", cand.name, "err", why}
	var le *lineError
	if errors.As(why, &le) && le.line > 0 {
		attrs = append(attrs, "line", le.line)
	}
	c.quar = append(c.quar, quarantined{at: c.now(), name: cand.name, why: why.Error()})
	if err := os.Rename(src, dst); err != nil {
		// Left in place it would be read (and refused) on every scan: it
		// is skipped, and this said, until the file changes.
		c.stuck[cand.name] = sample{size: cand.info.Size(), mtime: cand.info.ModTime()}
		c.log.Error("malformed export left in place: it cannot be moved to quarantine; "+
			"it is skipped until it changes", append(attrs, "move_err", err)...)
		return
	}
	c.log.Error("malformed export quarantined", append(attrs, "moved_to", dst)...)
	if err := os.WriteFile(dst+".why.txt", []byte(msg), 0o644); err != nil {
		c.log.Warn("cannot write the quarantine note", "file", dst, "err", err)
	}
	for _, m := range cand.markers {
		_ = os.Remove(filepath.Join(c.dirs.in, m))
	}
}

// prune removes read, quarantined and sent files older than keep_days,
// keeping the newest export of each kind.
func (c *Connector) prune(now time.Time) {
	cutoff := now.Add(-time.Duration(c.cfg.KeepDays) * 24 * time.Hour)
	keep := map[string]bool{}
	for _, n := range c.latest {
		keep[n] = true
	}
	for _, d := range []string{c.dirs.done, c.dirs.quarantine, c.dirs.sent} {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !e.Type().IsRegular() || keep[e.Name()] ||
				!info.ModTime().Before(cutoff) {
				continue
			}
			if err := os.Remove(filepath.Join(d, e.Name())); err != nil {
				c.log.Warn("cannot remove an old file", "file", e.Name(), "err", err)
			}
		}
	}
}
