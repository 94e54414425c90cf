package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/alert"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/config"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/hub/metrics"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/schedule"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage:
  stolik-hub serve [--config FILE]
  stolik-hub agent add --venue NAME [--time-zone ZONE] [--config FILE]
  stolik-hub agent list [--config FILE]
  stolik-hub agent revoke ID [--config FILE]
  stolik-hub enroll --venue NAME [--time-zone ZONE] [--ttl 72h] [--config FILE]
  stolik-hub apikey add --venue NAME_OR_ID[,...] --name TEXT [--config FILE]
  stolik-hub webhook --venue NAME_OR_ID [--set] [--config FILE]
  stolik-hub telegram link --venue NAME_OR_ID [--ttl 24h] [--config FILE]
  stolik-hub telegram chain --chain ID --venue NAME_OR_ID[,...] [--config FILE]
  stolik-hub apikey add --role support --name TEXT [--config FILE]
  stolik-hub user add --email E --role support|staff [--venue V,...] [--lang ru|en] [--config FILE]
  stolik-hub migrate [--config FILE]
  stolik-hub version`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "agent":
		if len(args) < 2 {
			return errors.New(usage)
		}
		return agentCmd(ctx, args[1], args[2:], stdout)
	case "enroll":
		return enrollCmd(ctx, args[1:], stdout)
	case "apikey":
		if len(args) < 2 || args[1] != "add" {
			return errors.New(usage)
		}
		return apiKeyAdd(ctx, args[2:], stdout)
	case "webhook":
		return webhookCmd(ctx, args[1:], stdout)
	case "telegram":
		return telegramCmd(ctx, args[1:], stdout)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			return errors.New(usage)
		}
		return userAdd(ctx, args[2:], stdout, stderr)
	case "migrate":
		c, _, err := loadConfig("migrate", args[1:], nil)
		if err != nil {
			return err
		}
		if c.DatabaseURL == "" {
			return errors.New("migrate: no database_url; the embedded store migrates itself on start")
		}
		from, to, err := postgres.Migrate(ctx, c.DatabaseURL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database schema at version %d (was %d)\n", to, from)
		return nil
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func loadConfig(name string, args []string, extra func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	path := fs.String("config", "", "config file (YAML); STOLIK_* variables override it")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return config.Config{}, nil, err
	}
	c, err := config.Load(*path)
	return c, fs, err
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// openStore opens the PostgreSQL store when the config names a database,
// else the embedded one in the data directory.
func openStore(ctx context.Context, c config.Config, log *slog.Logger) (hub.Store, error) {
	if c.DatabaseURL != "" {
		return postgres.Open(ctx, postgres.Config{
			URL:              c.DatabaseURL,
			MaxConns:         c.Database.MaxConns,
			StatementTimeout: c.Database.StatementTimeout,
			StartupRetry:     c.Database.StartupRetry,
			Logger:           log.With("component", "postgres"),
		})
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return bolt.Open(filepath.Join(c.DataDir, "hub.db"), bolt.Options{Timeout: time.Second})
}

// replicaName is the configured replica name, or host name and process id.
func replicaName(c config.Config) string {
	if c.Replica != "" {
		return c.Replica
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	c, _, err := loadConfig("serve", args, nil)
	if err != nil {
		return err
	}
	log := newLogger(stderr, c.Log.Level)

	store, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer store.Close()
	replica := replicaName(c)

	// The booking service and the gateway know each other: the gateway
	// tells it of results and applied batches, it pokes agents through
	// the gateway. Hooks only run once connections are served.
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	var follow *bookings
	var gw *gateway.Gateway
	m := metrics.New(metrics.Options{Replica: replica, Store: store,
		Connected: func() int { return gw.Stats().Connections },
		Logger:    log.With("component", "metrics")})
	gw = gateway.New(store, gateway.Options{
		OnApplied: func(agentID, venueID string) { follow.applied(agentID, venueID) },
		OnResult: func(agentID string, cmd hub.Command, r wire.Result) {
			m.CommandResult(r)
			follow.result(bg)(agentID, cmd, r)
		},
		OnBatch:      m.Batch,
		Replica:      replica,
		Logger:       log.With("component", "gateway"),
		SendQueue:    c.Agents.SendQueue,
		PingInterval: c.Agents.Heartbeat,
		PongWait:     3 * c.Agents.Heartbeat,
		Settings: wire.Settings{
			PollInterval: wire.Duration(c.Agents.PollInterval),
			MaxBatch:     c.Agents.MaxBatch,
			Window:       c.Agents.Window,
		},
	})
	hook := &botHook{}
	bookingDesk := desk.New(store, gw, desk.Options{Logger: log.With("component", "desk"),
		Replica: replica, OnChange: func(ctx context.Context, from hub.BookingState,
			b hub.Booking) {
			m.BookingChanged(from, b)
			hook.changed(ctx, from, b)
		},
		OnTillTask: hook.tillTask})
	follow = newBookings(bookingDesk, log.With("component", "desk"))
	go follow.run(bg)
	api := web.New(store, gw, log.With("component", "api"))
	api.SetDesk(bookingDesk)
	api.SetOptions(web.Options{PublicURL: c.PublicURL, Replica: replica,
		HolderSilence:  gateway.LastSeenEvery + 3*c.Agents.Heartbeat,
		TrustedProxies: c.ProxyPrefixes()})
	go api.RunSampler(bg, time.Minute)
	go api.SweepSessions(bg, 10*time.Minute)
	latest := c.Agents.LatestVersion
	if latest == "" {
		latest = version
	}
	api.SetLatestAgentVersion(latest)
	api.SetWebhookSecret(c.WebhookSecret)
	api.SetPosterSecret(c.PosterAppSecret)
	mux := http.NewServeMux()
	mux.Handle("/agent/", gw)
	mux.Handle("/metrics", metrics.Protect(m.Handler(), c.MetricsToken))
	mux.Handle("/", api)

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	storeKind := "embedded"
	if c.DatabaseURL != "" {
		storeKind = "postgres"
	}
	log.Info("hub listening", "addr", ln.Addr().String(), "version", version,
		"store", storeKind, "replica", replica)

	// Background work: scheduled jobs, and on PostgreSQL the wake-ups for
	// commands created on other replicas.
	jobs := schedule.New(store, schedule.Options{Logger: log.With("component", "schedule")})
	jobs.Handle(hub.JobExpireCommands, schedule.ExpireCommands(expiryCounter{store, m, bookingDesk.OnExpired},
		time.Now, log.With("component", "schedule")))
	for kind, h := range bookingDesk.Handlers() {
		jobs.Handle(kind, h)
	}
	pruner := schedule.NewCommandPruner(store, c.Agents.CommandRetention, nil,
		log.With("component", "schedule"))
	jobs.Handle(schedule.JobPruneCommands, pruner.Run)
	if err := pruner.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	queue := newSendQueue(c, store, replica, log)
	alerts := newAlerts(store, c.Alerts, queue, log.With("component", "alert"))
	jobs.Handle(alert.JobEvaluate, alerts.Run)
	if err := alerts.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := startTelegram(bg, c, store, bookingDesk, queue, hook, mux, jobs, replica,
		log); err != nil {
		ln.Close()
		return err
	}
	go jobs.Run(bg)
	if pg, ok := store.(*postgres.Store); ok {
		go routeCommands(bg, pg, gw, log.With("component", "routing"))
		// An agent revoked anywhere is disconnected here at once; without
		// PostgreSQL the gateway finds it on the agent's next status.
		go func() {
			if err := pg.ListenRevoked(bg, gw.DropRevoked); err != nil && bg.Err() == nil {
				log.Error("listen for revoked agents", "err", err)
			}
		}()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("hub stopping")
	stopBG()
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	// Agents first: their connections are hijacked, so Shutdown does not
	// wait for them.
	if err := gw.Close(); err != nil {
		log.Warn("close agent connections", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	log.Info("hub stopped")
	return nil
}

func agentCmd(ctx context.Context, sub string, args []string, stdout io.Writer) error {
	switch sub {
	case "add":
		var venue, zone string
		c, _, err := loadConfig("agent add", args, func(fs *flag.FlagSet) {
			fs.StringVar(&venue, "venue", "", "venue name or id (created if new)")
			fs.StringVar(&zone, "time-zone", "Europe/Moscow", "IANA time zone of a new venue")
		})
		if err != nil {
			return err
		}
		if strings.TrimSpace(venue) == "" {
			return errors.New("agent add: --venue is required (the restaurant's name)")
		}
		store, err := openStore(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return err
		}
		defer store.Close()
		return addAgent(ctx, store, venue, zone, stdout)
	case "list":
		c, _, err := loadConfig("agent list", args, nil)
		if err != nil {
			return err
		}
		store, err := openStore(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return err
		}
		defer store.Close()
		agents, err := store.Agents(ctx)
		if err != nil {
			return err
		}
		for _, a := range agents {
			state := "active"
			if a.RevokedAt != nil {
				state = "revoked"
			}
			fmt.Fprintf(stdout, "%s\tvenue=%s\t%s\tapplied_seq=%d\n", a.ID, a.VenueID, state, a.AppliedSeq)
		}
		return nil
	case "revoke":
		c, fs, err := loadConfig("agent revoke", args, nil)
		if err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("agent revoke: name one agent id")
		}
		store, err := openStore(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return err
		}
		defer store.Close()
		if err := store.RevokeAgent(ctx, fs.Arg(0), time.Now().UTC()); err != nil {
			return fmt.Errorf("revoke %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "agent %s revoked\n", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("unknown agent command %q\n%s", sub, usage)
}

// apiKeyAdd makes an API key for one or more existing venues and prints
// it once; the store keeps only its hash.
func apiKeyAdd(ctx context.Context, args []string, stdout io.Writer) error {
	var venues, name, role string
	c, _, err := loadConfig("apikey add", args, func(fs *flag.FlagSet) {
		fs.StringVar(&venues, "venue", "", "venue names or ids, comma-separated")
		fs.StringVar(&name, "name", "", "who the key is for, such as \"website\"")
		fs.StringVar(&role, "role", "", "support: a key for every venue and the support API")
	})
	if err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("apikey add: --name is required")
	case role != "" && role != string(hub.RoleSupport):
		return errors.New("apikey add: --role may only be support")
	case role == "" && strings.TrimSpace(venues) == "":
		return errors.New("apikey add: --venue is required (or --role support)")
	case role != "" && venues != "":
		return errors.New("apikey add: a support key acts for every venue; drop --venue")
	}
	store, err := openStore(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer store.Close()
	all, err := store.Venues(ctx)
	if err != nil {
		return fmt.Errorf("apikey add: %w", err)
	}
	var ids []string
	for _, want := range strings.Split(venues, ",") {
		want = strings.TrimSpace(want)
		if want == "" {
			continue
		}
		i := slices.IndexFunc(all, func(v hub.Venue) bool { return v.ID == want || v.Name == want })
		if i < 0 {
			return fmt.Errorf("apikey add: no venue named %q; see GET /api/v1/venues", want)
		}
		if !slices.Contains(ids, all[i].ID) {
			ids = append(ids, all[i].ID)
		}
	}
	key := "sk_" + hub.NewSecret()
	k := hub.APIKey{ID: hub.NewID("key"), Name: strings.TrimSpace(name),
		KeyHash: hub.HashSecret(key), VenueIDs: ids, CreatedAt: time.Now().UTC(),
		Role: hub.Role(role)}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return fmt.Errorf("apikey add: %w", err)
	}
	fmt.Fprintf(stdout, "id: %s\nvenues: %s\nkey: %s\n", k.ID, strings.Join(ids, ","), key)
	if k.Role != "" {
		fmt.Fprintf(stdout, "role: %s\n", k.Role)
	}
	fmt.Fprintln(stdout, "# shown once: send it as the header Authorization: Bearer "+key)
	return nil
}

// enrollCmd prints a one-time code that an agent exchanges for its
// credential with stolik-agent enroll.
func enrollCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var venue, zone string
	var ttl time.Duration
	c, _, err := loadConfig("enroll", args, func(fs *flag.FlagSet) {
		fs.StringVar(&venue, "venue", "", "venue name or id (created if new)")
		fs.StringVar(&zone, "time-zone", "Europe/Moscow", "IANA time zone of a new venue")
		fs.DurationVar(&ttl, "ttl", 72*time.Hour, "how long the code stays valid")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(venue) == "" {
		return errors.New("enroll: --venue is required (the restaurant's name)")
	}
	if ttl <= 0 {
		return errors.New("enroll: --ttl must be positive, e.g. 72h")
	}
	store, err := openStore(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := findOrCreateVenue(ctx, store, venue, zone)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	code, e := web.NewEnrollment(v.ID, now, ttl)
	if err := store.CreateEnrollment(ctx, e); err != nil {
		return fmt.Errorf("create enrollment: %w", err)
	}
	fmt.Fprintf(stdout, "venue_id: %s\ncode: %s\nexpires: %s\n", v.ID, code,
		e.Expires.Format(time.RFC3339))
	fmt.Fprintln(stdout, "# on the restaurant's server: stolik-agent enroll --hub <hub URL> --code "+code)
	return nil
}

// findOrCreateVenue returns the venue with this name or id, creating it
// if there is none.
func findOrCreateVenue(ctx context.Context, store hub.Store, venue, zone string) (hub.Venue, error) {
	if _, err := time.LoadLocation(zone); err != nil {
		return hub.Venue{}, fmt.Errorf("--time-zone %q is not an IANA zone such as Europe/Moscow", zone)
	}
	venues, err := store.Venues(ctx)
	if err != nil {
		return hub.Venue{}, err
	}
	for _, x := range venues {
		if x.ID == venue || x.Name == venue {
			return x, nil
		}
	}
	v := hub.Venue{ID: hub.NewID("ven"), Name: venue, TimeZone: zone, Mode: hub.ModeAPI,
		CreatedAt: time.Now().UTC()}
	if err := store.CreateVenue(ctx, v); err != nil {
		return hub.Venue{}, fmt.Errorf("create venue: %w", err)
	}
	return v, nil
}

// addAgent creates an agent for the venue named (by name or id), creating
// the venue if it is new, and prints the credential once.
func addAgent(ctx context.Context, store hub.Store, venue, zone string, stdout io.Writer) error {
	v, err := findOrCreateVenue(ctx, store, venue, zone)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	secret := hub.NewSecret()
	a := hub.Agent{ID: hub.NewID("agt"), VenueID: v.ID, SecretHash: hub.HashSecret(secret), CreatedAt: now}
	if err := store.CreateAgent(ctx, a); err != nil {
		return fmt.Errorf("create agent: %w", err)
	}
	fmt.Fprintf(stdout, "venue_id: %s\nagent_id: %s\nsecret: %s\n", v.ID, a.ID, secret)
	fmt.Fprintln(stdout, "# the secret is shown once; put agent_id and secret into the agent's config")
	return nil
}
