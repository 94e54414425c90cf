// Package pgtest gives tests a fresh, empty PostgreSQL database.
//
// With STOLIK_TEST_DATABASE_URL set, URL creates a uniquely named database
// on that server for every call and drops it when the test ends; the role in
// the URL needs CREATEDB.
//
// Without it, the first call starts one throwaway cluster for the whole test
// process from the locally installed server binaries (initdb and pg_ctl,
// found on PATH or under /usr/lib/postgresql/<version>/bin): in a temporary
// directory, listening only on a unix socket there, never on TCP. PostgreSQL
// refuses to run as root, so as root the cluster runs as the "postgres" user
// (or "nobody" when there is none). The cluster is tuned for tests, not
// durability (fsync off). The test binary must run its tests through Main
// (or Run), which stops the cluster and removes its directory at the end;
// a cluster left behind by a killed test process is removed by the next.
//
// Without server binaries the test is skipped with a message saying what to
// install, unless STOLIK_REQUIRE_PG=1 (as in CI), which makes it fail.
//
// Outside tests, Start runs such a cluster for a program of its own (the
// demo does); the program stops it with Cluster.Stop.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by the package.
const (
	// EnvURL names a server to create test databases on.
	EnvURL = "STOLIK_TEST_DATABASE_URL"
	// EnvRequire, set to 1, turns a missing PostgreSQL into a failure.
	EnvRequire = "STOLIK_REQUIRE_PG"
)

// ErrNoServer means there are no PostgreSQL server binaries to start a
// cluster with.
var ErrNoServer = errors.New("PostgreSQL server binaries not found")

// dirPrefix starts the name of every cluster directory, so that a later
// process can find and remove clusters whose process died.
const dirPrefix = "stolik-pgtest-"

var (
	mu       sync.Mutex
	inMain   bool     // Main is running the tests
	started  *Cluster // the process's cluster, once started
	startErr error    // why it could not start; sticky
	serial   int      // numbers the databases of this process
)

// Main runs a test binary's tests, stops the cluster URL started, if any,
// and exits. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain with work of its own after the tests: it runs
// them, stops the cluster and returns the exit code.
func Run(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()

	code := m.Run()

	mu.Lock()
	c := started
	started = nil
	mu.Unlock()
	if c != nil {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
	return code
}

// URL returns the URL of a fresh, empty database that is dropped when t
// ends. It skips t when there is no PostgreSQL to use (fails it when
// STOLIK_REQUIRE_PG=1).
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		var err error
		if admin, err = clusterURL(); err != nil {
			if errors.Is(err, ErrNoServer) && os.Getenv(EnvRequire) != "1" {
				t.Skip(err.Error())
			}
			t.Fatalf("pgtest: %v", err)
		}
	}

	mu.Lock()
	serial++
	name := fmt.Sprintf("stolik_test_%d_%d_%s", os.Getpid(), serial, randomHex(3))
	mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends sessions a failed test left open.
		if err := adminExec(ctx, admin, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop test database %s: %v", name, err)
		}
	})

	u, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// Terminate ends, from another session, every session connected to the
// database of dbURL whose application_name is app ("" for all but the
// caller's own), as an administrator or a crash would. It returns how many
// it ended.
func Terminate(t testing.TB, dbURL, app string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		  AND ($1 = '' OR application_name = $1)`, app).Scan(&n)
	if err != nil {
		t.Fatalf("pgtest: terminate sessions: %v", err)
	}
	return n
}

// adminExec runs one statement on the server of admin.
func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns the URL u with its database replaced by name.
func withDatabase(u, name string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	parsed.Path = "/" + name
	return parsed.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clusterURL returns the admin URL of the process's cluster, starting it on
// first use.
func clusterURL() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if started != nil {
		return started.URL(), nil
	}
	if startErr != nil {
		return "", startErr
	}
	if !inMain {
		// Without Main nobody would stop the cluster.
		return "", errors.New("a throwaway PostgreSQL cluster needs TestMain to call " +
			"pgtest.Main(m) or pgtest.Run(m), which stop it after the tests")
	}

	started, startErr = Start("")
	if errors.Is(startErr, ErrNoServer) {
		startErr = fmt.Errorf("%w or set %s; with %s=1 this fails the test",
			startErr, EnvURL, EnvRequire)
	}
	if startErr != nil {
		started = nil
		return "", startErr
	}
	return started.URL(), nil
}

// Installed returns nil when the PostgreSQL server binaries Start needs are
// on this machine, else an error wrapping ErrNoServer that says what to
// install.
func Installed() error {
	_, err := binaries()
	return err
}

func binaries() (string, error) {
	bin, err := findBinaries()
	if err != nil {
		return "", fmt.Errorf("%w (%v): install postgresql (Debian, Ubuntu: "+
			"apt-get install postgresql)", ErrNoServer, err)
	}
	return bin, nil
}

// findBinaries returns the directory holding initdb and pg_ctl: from PATH,
// else the newest /usr/lib/postgresql/<version>/bin.
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, dir := range dirs {
		_, e1 := os.Stat(filepath.Join(dir, "initdb"))
		_, e2 := os.Stat(filepath.Join(dir, "pg_ctl"))
		if e1 == nil && e2 == nil {
			return dir, nil
		}
	}
	return "", errors.New("no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
}

// Cluster is a running throwaway PostgreSQL: in its own directory,
// listening only on a unix socket there, with a superuser that needs no
// password, tuned for speed rather than durability.
type Cluster struct {
	bin  string   // directory of the server binaries
	dir  string   // holds data/, the socket and the log
	as   []string // command prefix running a program as the cluster's owner
	name string   // the superuser's name
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the admin URL: the superuser on the postgres database, through
// the socket in the cluster's directory.
func (c *Cluster) URL() string {
	return "postgres://" + c.name + "@/postgres?host=" + url.QueryEscape(c.dir) +
		"&sslmode=disable"
}

// Start creates and starts a cluster in a new directory under parent (""
// for the system's temporary directory), first removing clusters there
// whose process died without stopping them. As root the cluster runs as
// the postgres (or nobody) user, which must be able to reach parent. The
// server runs in a process group of its own, so a Ctrl-C meant for the
// caller does not reach it: the caller stops it with Stop. Without server
// binaries the error wraps ErrNoServer and says what to install.
func Start(parent string) (*Cluster, error) {
	bin, err := binaries()
	if err != nil {
		return nil, err
	}
	if parent == "" {
		parent = os.TempDir()
	}
	removeStale(parent)
	dir, err := os.MkdirTemp(parent, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{bin: bin, dir: dir, name: "postgres"}
	if err := c.init(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres in %s: %w", dir, err)
	}
	return c, nil
}

// init runs initdb and pg_ctl start.
func (c *Cluster) init() error {
	if err := os.WriteFile(filepath.Join(c.dir, "owner.pid"),
		[]byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		uid, gid, as, err := unprivileged()
		if err != nil {
			return err
		}
		c.as = as
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return err
		}
	}

	err := c.run("initdb", "-D", c.data(), "-U", c.name, "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--locale=C")
	if err != nil {
		return err
	}
	opts := strings.Join([]string{
		"-c listen_addresses=''",
		"-c unix_socket_directories='" + c.dir + "'",
		"-c fsync=off",
		"-c synchronous_commit=off",
		"-c full_page_writes=off",
		"-c max_connections=300",
		"-c shared_buffers=128MB",
	}, " ")
	return c.run("pg_ctl", "start", "-w", "-t", "60", "-D", c.data(),
		"-l", filepath.Join(c.dir, "server.log"), "-o", opts)
}

// Stop stops the server, ending its sessions, and removes its directory
// with the data.
func (c *Cluster) Stop() error {
	err := c.run("pg_ctl", "stop", "-D", c.data(), "-m", "immediate", "-w")
	if rmErr := os.RemoveAll(c.dir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		return fmt.Errorf("stop postgres in %s: %w", c.dir, err)
	}
	return nil
}

// run runs one of the server binaries as the cluster's owner.
func (c *Cluster) run(program string, args ...string) error {
	argv := append(slices.Clone(c.as), filepath.Join(c.bin, program))
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	// pg_ctl's server must not share the test's process group, or a
	// Ctrl-C meant for go test would kill it before Main can stop it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", program, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// unprivileged picks the user a cluster runs as when the test runs as root,
// and the command prefix that runs a program as that user.
func unprivileged() (uid, gid int, as []string, err error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		setpriv, err := exec.LookPath("setpriv")
		if err == nil {
			return uid, gid, []string{setpriv, "--reuid=" + u.Uid, "--regid=" + u.Gid,
				"--clear-groups", "--"}, nil
		}
		runuser, err := exec.LookPath("runuser")
		if err == nil {
			return uid, gid, []string{runuser, "-u", name, "--"}, nil
		}
	}
	return 0, 0, nil, errors.New("running as root, PostgreSQL needs another user: " +
		"found neither a postgres nor a nobody user with setpriv or runuser to switch to")
}

// removeStale stops and removes the clusters under parent of processes
// that died without stopping them (killed, or timed out).
func removeStale(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, dirPrefix+"*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(raw))
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		c := &Cluster{dir: dir}
		if bin, err := findBinaries(); err == nil {
			c.bin = bin
			if os.Geteuid() == 0 {
				_, _, c.as, _ = unprivileged()
			}
			_ = c.run("pg_ctl", "stop", "-D", c.data(), "-m", "immediate", "-w")
		}
		os.RemoveAll(dir)
	}
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
