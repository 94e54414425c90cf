// Command stolik-bench runs the repository's benchmarks and writes a
// report: `make bench` calls it. It runs each package that has benchmarks
// in turn (one at a time: on two cores, two benchmark binaries measure each
// other), shows progress as it goes, keeps the raw output in bench.txt, and
// writes report.md with every figure beside its target and its ratio to
// the baseline measured in the same run, and charts as PNG images.
//
//	stolik-bench [--out DIR] [--bench REGEXP] [--pkg PATTERN,...]
//	stolik-bench --from FILE [--out DIR]   report on an earlier run's output
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stolik-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stolik-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("bin", "bench"), "directory for the report")
	bench := fs.String("bench", ".", "benchmarks to run (a go test -bench pattern)")
	pkgs := fs.String("pkg", "./...", "packages to benchmark, comma-separated patterns")
	from := fs.String("from", "", "report on this saved go test output instead of running")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	started := time.Now()
	var res *results
	if *from != "" {
		f, err := os.Open(*from)
		if err != nil {
			return err
		}
		defer f.Close()
		res = parse(f, nil)
	} else {
		var err error
		res, err = runBenchmarks(ctx, strings.Split(*pkgs, ","), *bench, *out, stderr)
		if err != nil {
			return err
		}
	}

	charts, err := drawCharts(res, *out)
	if err != nil {
		return fmt.Errorf("draw charts: %w", err)
	}
	report := filepath.Join(*out, "report.md")
	if err := os.WriteFile(report, []byte(markdown(res, charts, started)), 0o644); err != nil {
		return err
	}
	fmt.Fprint(stdout, summary(res))
	fmt.Fprintf(stdout, "\nreport: %s\n", report)
	fmt.Fprint(stdout, elapsedNote(time.Since(started)))
	if res.failed > 0 {
		return fmt.Errorf("%d benchmark packages failed: see %s",
			res.failed, filepath.Join(*out, "bench.txt"))
	}
	return nil
}

// longRun is how long make bench should take on a two-core machine.
const longRun = 15 * time.Minute

// elapsedNote says how long the run took, and warns when it took longer
// than longRun.
func elapsedNote(d time.Duration) string {
	note := fmt.Sprintf("total time: %v\n", d.Round(time.Second))
	if d > longRun {
		note += fmt.Sprintf("warning: the run took longer than %v; run fewer with "+
			"BENCH=<pattern> or BENCHPKG=<packages>, or lower STOLIK_BENCH_DELIVERY and "+
			"STOLIK_BENCH_CONNS\n", longRun)
	}
	return note
}
