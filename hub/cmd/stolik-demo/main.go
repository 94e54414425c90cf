// Command stolik-demo runs Stolik on one machine for a newcomer: a hub on
// its embedded store, two restaurants whose tills are fakes of iiko and
// R-Keeper with guests coming and going, an agent beside each, and a
// scripted guest who books, is confirmed, cancels, and has one booking
// refused and rebooked on another time. It tells what happens in plain
// words. Ctrl-C stops everything it started.
//
// The hub and the agents run in their own process group, so a Ctrl-C at
// the terminal reaches the demo only, which stops them in order; they are
// stopped too when the demo gets SIGTERM or panics, and on Linux the
// kernel kills them if the demo itself is killed hard.
//
// With --headless it runs the guest's script once and exits: 0 when every
// step happened (checked at the fake tills), 1 naming the step that did
// not. The end-to-end tests run it that way.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stolik/stolik/hub"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stolik-demo:", err)
		os.Exit(1)
	}
}

// demo is one run: where things are and what was started.
type demo struct {
	out            io.Writer
	dir, base      string
	hubBin, agBin  string
	hubEnv         []string
	procs          []*proc
	tills          []*rms
	headless       bool
	more           string
	activityCancel context.CancelFunc
	stopOnce       sync.Once
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stolik-demo", flag.ContinueOnError)
	bin := fs.String("bin", "bin", "directory with stolik-hub and stolik-agent")
	dir := fs.String("dir", ".demo", "working directory for the demo's data and logs (recreated)")
	listen := fs.String("listen", "127.0.0.1:8080", "hub address")
	headless := fs.Bool("headless", false, "run the guest's script once, check it, and exit")
	more := fs.String("more", "", "more venues, on other connectors: a comma-separated list of "+
		strings.Join(moreKinds, ", ")+" (all: every one; sqlread needs PostgreSQL's server "+
		"binaries, apt-get install postgresql, and is left out without them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d := &demo{out: out, dir: *dir, base: "http://" + *listen, headless: *headless, more: *more,
		hubBin: filepath.Join(*bin, "stolik-hub"), agBin: filepath.Join(*bin, "stolik-agent")}
	for _, b := range []string{d.hubBin, d.agBin} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s is missing: run make build first", b)
		}
	}
	// Before anything is removed: a hub of an earlier demo killed hard may
	// still be serving from the demo's directory.
	if err := portFree(*listen); err != nil {
		return err
	}
	if err := os.RemoveAll(d.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return err
	}
	d.hubEnv = append(os.Environ(), "STOLIK_LISTEN="+*listen,
		"STOLIK_DATA_DIR="+filepath.Join(d.dir, "hub"))
	defer d.stop()
	return d.run(ctx)
}

// portFree says what to do when something already listens on addr.
func portFree(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil
	}
	c.Close()
	what := "something"
	if r, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			what = "a hub (its /healthz answers), likely from an earlier demo stopped without Ctrl-C,"
		}
	}
	_, port, _ := net.SplitHostPort(addr)
	return fmt.Errorf("%s is already listening on %s, the demo's hub address. Either stop it: "+
		"find its process id with `ss -ltnp 'sport = :%s'` (or `lsof -nP -iTCP:%s -sTCP:LISTEN`), "+
		"then `kill <pid>`, and stop any stolik-agent of that demo the same way "+
		"(`pgrep -a stolik-agent` lists them); or run the demo on another address, "+
		"e.g. --listen 127.0.0.1:8081 (make demo DEMO_ARGS=--listen=127.0.0.1:8081)",
		what, addr, port, port)
}

// goSafe runs f on a goroutine; a panic there stops what the demo started
// before it ends the program, as a panic on the main goroutine does
// through run's deferred stop.
func (d *demo) goSafe(f func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				d.stop()
				panic(r)
			}
		}()
		f()
	}()
}

func (d *demo) run(ctx context.Context) error {
	fmt.Fprintln(d.out, "Stolik demo: a hub, two restaurants (their tills are fakes of iiko and "+
		"R-Keeper), an agent beside each, and a guest.")
	iiko := startIiko(7)
	d.tills = append(d.tills, iiko)
	rk, err := startRKeeper(11)
	if err != nil {
		return err
	}
	d.tills = append(d.tills, rk)
	if err := d.addMore(); err != nil {
		return err
	}

	// Venues, agents and the guest app's API key are made with the hub's
	// CLI before it starts (the embedded store is then locked).
	var venues []scriptVenue
	var ids []string
	for _, till := range d.tills {
		cred, err := d.hubCmd(ctx, "agent", "add", "--venue", till.venue)
		if err != nil {
			return err
		}
		cfg := filepath.Join(d.dir, till.kind+".yaml")
		body := fmt.Sprintf("version: 1\nhub:\n  urls: [%q]\n  agent_id: %s\n  secret: %s\n"+
			"data_dir: agent-%s\npoll_interval: 1s\n%s", "ws://"+strings.TrimPrefix(d.base,
			"http://"), cred["agent_id"], cred["secret"], till.kind, till.connector)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			return err
		}
		venues = append(venues, scriptVenue{id: cred["venue_id"], rms: till})
		ids = append(ids, cred["venue_id"])
	}
	key, err := d.hubCmd(ctx, "apikey", "add", "--venue", strings.Join(ids, ","),
		"--name", "demo guest app")
	if err != nil {
		return err
	}
	bot, err := d.botNote(ctx, venues)
	if err != nil {
		return err
	}
	// Support sees every venue: a key for the narration, an account for the
	// dashboard.
	support, err := d.hubCmd(ctx, "apikey", "add", "--role", "support", "--name", "demo support")
	if err != nil {
		return err
	}
	password := rand.Text()
	env := d.hubEnv
	d.hubEnv = append(slices.Clip(env), "STOLIK_USER_PASSWORD="+password)
	_, err = d.hubCmd(ctx, "user", "add", "--email", demoEmail, "--role", "support")
	d.hubEnv = env
	if err != nil {
		return err
	}

	hubProc, err := start(d.hubBin, d.hubEnv, filepath.Join(d.dir, "hub.log"), "serve")
	if err != nil {
		return err
	}
	d.procs = append(d.procs, hubProc)
	if err := waitHealthy(ctx, d.base, hubProc); err != nil {
		return err
	}
	for _, till := range d.tills {
		p, err := start(d.agBin, os.Environ(), filepath.Join(d.dir, "agent-"+till.kind+".log"),
			"run", "--config", filepath.Join(d.dir, till.kind+".yaml"))
		if err != nil {
			return err
		}
		d.procs = append(d.procs, p)
	}
	// An agent that cannot start (a bad config, say) ends at once.
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	for _, p := range d.procs {
		if err := p.exited(); err != nil {
			return err
		}
	}
	g := newGuestAPI(d.base, key["key"])
	for _, v := range venues {
		if err := openHours(ctx, g, v.id); err != nil {
			return err
		}
	}

	actx, cancel := context.WithCancel(ctx)
	d.activityCancel = cancel
	if !d.headless {
		for _, till := range d.tills {
			d.goSafe(func() { till.activity(actx) })
		}
		fmt.Fprintf(d.out, `
The hub is up. Open the dashboard:
  %[1]s/fleet   sign in as %[6]s, password %[7]s
The HTTP API, with the header "Authorization: Bearer %[8]s":
  %[1]s/api/v1/agents                 every agent: connected, backlog, RMS health
  %[1]s/api/v1/venues/%[2]s/state   «%[3]s» as the hub mirrors it
%[5]sLogs are in %[4]s/. Press Ctrl-C to stop everything.

`, d.base, venues[0].id, iiko.venue, d.dir, bot, demoEmail, password, support["key"])
	}

	var watch []*watched
	for _, v := range venues {
		watch = append(watch, &watched{id: v.id, name: v.rms.venue})
	}
	if !d.headless {
		d.goSafe(func() { narrate(actx, d.out, d.base, support["key"], watch) })
	}

	err = script(ctx, d.out, g, venues[0], venues[1])
	if d.headless {
		if err != nil {
			return fmt.Errorf("the guest's script failed: %w (logs in %s)", err, d.dir)
		}
		fmt.Fprintln(d.out, "demo script: every step happened")
		return nil
	}
	if err != nil {
		fmt.Fprintf(d.out, "the guest's script stopped: %v (logs in %s)\n", err, d.dir)
	} else {
		fmt.Fprintln(d.out, "\nThe guest is done. The restaurants carry on; Ctrl-C stops the demo.")
	}
	<-ctx.Done()
	fmt.Fprintln(d.out, "\nstopping the agents and the hub…")
	return nil
}

// addMore starts the venues --more asks for. One the machine cannot run
// is told about in a line and left out.
func (d *demo) addMore() error {
	kinds := strings.Split(d.more, ",")
	if d.more == "all" {
		kinds = moreKinds
	}
	for i, kind := range kinds {
		if kind = strings.TrimSpace(kind); kind == "" {
			continue
		}
		till, err := startMore(kind, d.dir, uint64(20+i))
		var skip skipped
		if errors.As(err, &skip) {
			fmt.Fprintln(d.out, skip)
			continue
		}
		if err != nil {
			return err
		}
		d.tills = append(d.tills, till)
	}
	return nil
}

// demoEmail is the demo's dashboard account.
const demoEmail = "demo@stolik.local"

// openHours opens a demo venue every day from noon to midnight, with two
// hours a table.
func openHours(ctx context.Context, g *guestAPI, venueID string) error {
	var services []hub.Service
	for day := time.Sunday; day <= time.Saturday; day++ {
		services = append(services, hub.Service{Weekday: day, Open: "12:00", Close: "24:00"})
	}
	policy := map[string]any{"services": services, "min_lead": "30m", "confirm_timeout": "1m",
		"turn_times": []map[string]any{{"max_party": 8, "duration": "2h"}}}
	return g.call(ctx, http.MethodPut, "/api/v1/venues/"+venueID+"/policy", policy, nil)
}

// stop ends everything the demo started, the last started first. It runs
// once, whoever calls it first (the end of run, or a panic).
func (d *demo) stop() {
	d.stopOnce.Do(func() {
		if d.activityCancel != nil {
			d.activityCancel()
		}
		for i := len(d.procs) - 1; i >= 0; i-- {
			d.procs[i].stop()
		}
		for _, t := range d.tills {
			t.close()
		}
	})
}

// hubCmd runs a stolik-hub subcommand and returns the "key: value" lines
// it printed.
func (d *demo) hubCmd(ctx context.Context, args ...string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, d.hubBin, args...)
	cmd.Env = d.hubEnv
	var stderr strings.Builder
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("stolik-hub %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(outb)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok && !strings.HasPrefix(k, "#") {
			kv[k] = strings.TrimSpace(v)
		}
	}
	return kv, nil
}

// proc is a child the demo started, in its own process group, its output
// in a log file.
type proc struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{}
}

func start(bin string, env []string, logPath string, args ...string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w (its log: %s)", bin, err, logPath)
	}
	p := &proc{name: filepath.Base(bin), log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	return p, nil
}

// exited returns an error naming the process and its log if it has ended.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s stopped at start (%v); see its log, %s:\n%s", p.name,
			p.cmd.ProcessState, p.log, logTail(p.log, 10))
	default:
		return nil
	}
}

// stop asks the process group to end and kills it if it has not within 10s.
func (p *proc) stop() {
	signalGroup(p.cmd.Process, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		signalGroup(p.cmd.Process, syscall.SIGKILL)
		<-p.done
	}
}

// waitHealthy waits for the hub to answer /healthz, and says where its
// log is if it ends or does not answer.
func waitHealthy(ctx context.Context, base string, hubProc *proc) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := hubProc.exited(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("the hub did not become healthy within 15s; see its log, %s:\n%s",
		hubProc.log, logTail(hubProc.log, 10))
}

// logTail returns the last n lines of a log file.
func logTail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
