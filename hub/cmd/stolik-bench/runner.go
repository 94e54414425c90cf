package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// benchPackages lists the packages matching patterns that have benchmark
// functions, in go list order.
func benchPackages(ctx context.Context, patterns []string) ([]string, error) {
	args := append([]string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \",\"}}," +
		"{{join .XTestGoFiles \",\"}}"}, patterns...)
	out, err := exec.CommandContext(ctx, "go", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		for _, name := range strings.Split(f[2], ",") {
			if name == "" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(f[1], name))
			if err == nil && hasBenchmark.Match(b) {
				pkgs = append(pkgs, f[0])
				break
			}
		}
	}
	return pkgs, nil
}

var hasBenchmark = regexp.MustCompile(`(?m)^func Benchmark\w*\(b \*testing\.B\)`)

// runBenchmarks runs each package's benchmarks in turn, echoing progress
// to progress and keeping the whole output in dir/bench.txt.
func runBenchmarks(ctx context.Context, patterns []string, bench, dir string,
	progress io.Writer) (*results, error) {
	pkgs, err := benchPackages(ctx, patterns)
	if err != nil {
		return nil, err
	}
	raw, err := os.Create(filepath.Join(dir, "bench.txt"))
	if err != nil {
		return nil, err
	}
	defer raw.Close()

	var all bytes.Buffer
	start := time.Now()
	for i, pkg := range pkgs {
		fmt.Fprintf(progress, "[%d/%d] %s (%v so far)\n", i+1, len(pkgs), pkg,
			time.Since(start).Round(time.Second))
		cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", bench,
			"-benchtime", "1x", "-timeout", "30m", pkg)
		var out bytes.Buffer
		pr, pw := io.Pipe()
		cmd.Stdout, cmd.Stderr = pw, pw
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		done := make(chan struct{})
		t0 := time.Now()
		go func() {
			defer close(done)
			parse(io.TeeReader(pr, &out), func(line string) {
				if resultLine.MatchString(line) || strings.Contains(line, "PEER MISSING") ||
					strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "FAIL") {
					fmt.Fprintf(progress, "      %s\n", strings.TrimSpace(line))
				}
			})
		}()
		werr := cmd.Wait()
		pw.Close()
		<-done
		if werr != nil {
			fmt.Fprintf(progress, "      FAILED after %v: %v\n", time.Since(t0).Round(time.Second), werr)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		raw.Write(out.Bytes())
		all.Write(out.Bytes())
	}
	return parse(&all, nil), nil
}
