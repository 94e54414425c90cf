package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

// TestMoreVenues starts each --more venue's fake as the demo does, writes
// the agent config the demo writes, and reads the fake through the
// connector that config makes: halls and tables come through.
// (sqlread, which needs PostgreSQL, is TestSQLReadVenue.)
func TestMoreVenues(t *testing.T) {
	for _, kind := range []string{"poster", "quickresto", "files"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			till, err := startMore(kind, dir, 1)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(till.close)
			if till.kind != kind || till.venue == "" || till.activity == nil ||
				till.reservations == nil {
				t.Fatalf("venue %+v is not complete", till)
			}

			path := filepath.Join(dir, kind+".yaml")
			body := "version: 1\nhub:\n  urls: [ws://127.0.0.1:1]\n  agent_id: agt_1\n" +
				"  secret: s\ndata_dir: agent-" + kind + "\npoll_interval: 1s\n" + till.connector
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("the agent does not take the demo's config: %v\n%s", err, body)
			}
			if cfg.Connector.Kind != kind {
				t.Fatalf("connector kind %q, want %q", cfg.Connector.Kind, kind)
			}
			conn, err := service.NewConnector(cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := conn.(io.Closer); ok {
				t.Cleanup(func() { c.Close() })
			}
			if kind == "files" {
				// The file exchange's till writes its export when it runs.
				ctx, cancel := context.WithCancel(context.Background())
				t.Cleanup(cancel)
				go till.activity(ctx)
			}
			var tables, halls int
			var lastErr error
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				st, err := conn.Snapshot(ctx)
				cancel()
				lastErr = err
				if err == nil && len(st.Tables) > 0 {
					halls, tables = len(st.Halls), len(st.Tables)
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if halls != 2 || tables != 8 {
				t.Errorf("the agent reads %d halls and %d tables (last error %v), want 2 and 8",
					halls, tables, lastErr)
			}
		})
	}
}
