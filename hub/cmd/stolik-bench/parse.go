package main

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// result is one benchmark's figures from one run.
type result struct {
	Pkg, Name string
	// Metrics by unit ("changes/s", "ns/op", "ratio"), in reported order.
	Metrics map[string]float64
	Units   []string
	// Missing lists the peers the benchmark could not start, with why.
	Missing []string
	// Skipped says why the benchmark did not run, if it did not.
	Skipped string
	Failed  bool
}

// results is everything a run printed that the report uses.
type results struct {
	Benches []*result
	Env     map[string]string // goos, goarch, cpu
	failed  int               // packages that failed
}

// find returns the benchmark of that name in pkg ("" matches any
// package), or nil.
func (r *results) find(pkg, name string) *result {
	for _, b := range r.Benches {
		if b.Name == name && (pkg == "" || b.Pkg == pkg) {
			return b
		}
	}
	return nil
}

var (
	resultLine  = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)
	bareName    = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s*$`)
	peerMissing = regexp.MustCompile(`PEER MISSING: (.*)$`)
	skipLine    = regexp.MustCompile(`^\s*--- SKIP: (Benchmark\S+?)(-\d+)?(?:\s|$)`)
	failLine    = regexp.MustCompile(`^\s*--- FAIL: (Benchmark\S+?)(-\d+)?(?:\s|$)`)
)

// parse reads go test -bench output. Each line also goes to echo, if
// set, as it is read: that is the progress a person watches.
func parse(r io.Reader, echo func(line string)) *results {
	res := &results{Env: map[string]string{}}
	pkg := ""
	var current *result // the last benchmark named; log lines belong to it
	var pendingSkip *result
	get := func(name string) *result {
		if b := res.find(pkg, name); b != nil {
			return b
		}
		b := &result{Pkg: pkg, Name: name, Metrics: map[string]float64{}}
		res.Benches = append(res.Benches, b)
		return b
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if echo != nil {
			echo(line)
		}
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
		case strings.HasPrefix(line, "goos: "), strings.HasPrefix(line, "goarch: "),
			strings.HasPrefix(line, "cpu: "):
			k, v, _ := strings.Cut(line, ": ")
			res.Env[k] = v
		case strings.HasPrefix(line, "FAIL\t") || line == "FAIL":
			if strings.HasPrefix(line, "FAIL\t") {
				res.failed++
			}
		}
		if m := resultLine.FindStringSubmatch(line); m != nil {
			current = get(m[1])
			fields := strings.Fields(m[4])
			for i := 0; i+1 < len(fields); i += 2 {
				v, err := strconv.ParseFloat(fields[i], 64)
				if err != nil {
					continue
				}
				unit := fields[i+1]
				if _, seen := current.Metrics[unit]; !seen {
					current.Units = append(current.Units, unit)
				}
				current.Metrics[unit] = v
			}
			continue
		}
		if m := bareName.FindStringSubmatch(line); m != nil {
			current = get(m[1])
			continue
		}
		if m := skipLine.FindStringSubmatch(line); m != nil {
			pendingSkip = get(m[1])
			pendingSkip.Skipped = "skipped"
			continue
		}
		if m := failLine.FindStringSubmatch(line); m != nil {
			get(m[1]).Failed = true
			continue
		}
		if m := peerMissing.FindStringSubmatch(line); m != nil && current != nil {
			current.Missing = append(current.Missing, m[1])
			continue
		}
		if pendingSkip != nil && strings.HasPrefix(line, "    ") {
			// The reason under --- SKIP, after the file:line prefix.
			msg := strings.TrimSpace(line)
			if _, after, ok := strings.Cut(msg, ": "); ok {
				msg = after
			}
			pendingSkip.Skipped = msg
			pendingSkip = nil
		}
	}
	return res
}
