package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// verdict says whether a benchmark met its target.
func verdict(b *result) string {
	switch {
	case b.Failed:
		return "FAILED"
	case b.Skipped != "":
		return "skipped: " + b.Skipped
	}
	s, ok := specFor(b)
	if !ok || s.Met == nil {
		return "—"
	}
	if s.Met(b.Metrics) {
		return "met"
	}
	return "**missed**"
}

// ratios prints a benchmark's ratios to its baselines, and the peers it
// could not measure.
func ratios(res *results, b *result) string {
	var parts []string
	for _, r := range mustSpec(b).Ratios {
		v, ok := b.Metrics[r.Metric]
		if ok && r.Over != "" {
			den, measured := res.metric(b, r.Over)
			if !measured && strings.Contains(r.Over, ":") {
				parts = append(parts, "no ratio: "+r.Over+" was not measured")
			}
			v, ok = v/den, measured && den != 0
		}
		if ok {
			parts = append(parts, fmt.Sprintf("%.2f× %s", v, r.Baseline))
		}
	}
	for _, m := range b.Missing {
		parts = append(parts, "missing: "+m)
	}
	if len(parts) == 0 {
		return "— (no baseline for this one)"
	}
	return strings.Join(parts, "; ")
}

// metric returns the figure that over names for b's ratio: a metric of b,
// or "BenchmarkName:metric" of another benchmark of the run, from b's
// package if it has one of that name, else from any.
func (r *results) metric(b *result, over string) (float64, bool) {
	i := strings.LastIndex(over, ":")
	if i < 0 {
		v, ok := b.Metrics[over]
		return v, ok
	}
	name, unit := over[:i], over[i+1:]
	other := r.find(b.Pkg, name)
	if other == nil {
		other = r.find("", name)
	}
	if other == nil || other.Failed || other.Skipped != "" {
		return 0, false
	}
	v, ok := other.Metrics[unit]
	return v, ok
}

func table(res *results) string {
	var sb strings.Builder
	sb.WriteString("| benchmark | figure | target | verdict | ratio to the baseline (same run) |\n")
	sb.WriteString("|---|---|---|---|---|\n")
	for _, b := range res.Benches {
		target := mustSpec(b).Target
		if target == "" {
			target = "—"
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s |\n",
			label(b), headline(b), target, verdict(b), ratios(res, b))
	}
	return sb.String()
}

// summary is what make bench prints at the end.
func summary(res *results) string {
	return "\n" + table(res)
}

func markdown(res *results, charts []string, started time.Time) string {
	var sb strings.Builder
	sb.WriteString("# Stolik benchmarks\n\n")
	fmt.Fprintf(&sb, "Run of %s, %s on %s/%s (%s), %s. Each benchmark ran once "+
		"(-benchtime 1x), one package at a time; peers ran on the same machine in the "+
		"same run, on loopback.\n\n", started.UTC().Format("2006-01-02 15:04 MST"),
		runtime.Version(), res.Env["goos"], res.Env["goarch"], res.Env["cpu"],
		time.Since(started).Round(time.Second))
	sb.WriteString("## Summary\n\n")
	sb.WriteString(table(res))
	if len(charts) > 0 {
		sb.WriteString("\n## Beside the baselines\n\n")
		for _, c := range charts {
			fmt.Fprintf(&sb, "![%s](%s)\n\n", c, c)
		}
	}
	sb.WriteString("## Every figure\n\n")
	for _, b := range res.Benches {
		fmt.Fprintf(&sb, "- **%s** (%s):", b.Name, b.Pkg)
		for _, u := range b.Units {
			fmt.Fprintf(&sb, " %s %s;", number(b.Metrics[u]), u)
		}
		if len(b.Units) == 0 {
			sb.WriteString(" no figures")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("\nRaw output: bench.txt beside this file.\n")
	return sb.String()
}

// label names a benchmark in the table; names that several packages use
// (the connectors' benchmarks) carry the package.
func label(b *result) string {
	if strings.HasPrefix(b.Pkg, module+"/agent/") && !strings.HasSuffix(b.Pkg, "/outbox") {
		return strings.TrimPrefix(b.Pkg, module+"/") + " " + b.Name
	}
	return b.Name
}

const module = "github.com/stolik/stolik"
