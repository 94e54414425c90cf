package e2e_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

// resync asks a hub replica to send the agent a resync command and returns
// the command's id.
func (h *hubEnv) resync(t *testing.T, agentID string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url()+"/api/v1/agents/"+agentID+"/resync",
		nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.key)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var c hub.Command
	if r.StatusCode != http.StatusAccepted || json.NewDecoder(r.Body).Decode(&c) != nil {
		t.Fatalf("resync through %s: %s", h.addr, r.Status)
	}
	return c.ID
}

func (h *hubEnv) command(t *testing.T, id string) hub.Command {
	t.Helper()
	var c hub.Command
	if err := h.getJSON("/api/v1/commands/"+id, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReplicas runs two hub processes on one PostgreSQL. The agent is on
// replica A; a command created through replica B reaches it within a
// second. Then A is killed: the agent moves to B, and no event or command
// is lost or applied twice.
func TestReplicas(t *testing.T) {
	dbURL := pgtest.URL(t)
	sr := simRun{
		seed: 21, halls: 2, tables: 40, step: 20 * time.Millisecond,
		changesPerStep: 10, steps: 600, start: time.Now().Add(3 * time.Second),
	}
	db := "database_url: " + dbURL + "\n"
	a := newHub(t, db+"replica: hub-a\n")
	b := newHub(t, db+"replica: hub-b\n")
	cred := a.addAgent("Replicas")
	procA := a.start()
	procB := b.start()

	agentDir := t.TempDir()
	cfg := agentConfig(t, agentDir, cred, []string{"ws://" + a.addr, "ws://" + b.addr},
		"poll_interval: 100ms\nuplink: {backoff_min: 20ms, backoff_max: 200ms}\n"+sr.yaml())
	agentProc := startAgent(t, cfg)
	waitFor(t, 10*time.Second, "the agent to connect to replica A", func() bool {
		v, err := a.agent(cred.AgentID)
		return err == nil && v.Connected
	})

	id := b.resync(t, cred.AgentID)
	sent := time.Now()
	waitFor(t, 5*time.Second, "the command from replica B to be done", func() bool {
		return b.command(t, id).State == hub.CommandDone
	})
	if took := time.Since(sent); took > time.Second {
		t.Errorf("a command through replica B took %v to reach the agent on A (want < 1s)", took)
	}

	procA.kill()
	waitFor(t, 10*time.Second, "the agent to move to replica B", func() bool {
		v, err := b.agent(cred.AgentID)
		return err == nil && v.Connected
	})
	id2 := b.resync(t, cred.AgentID)
	waitFor(t, 5*time.Second, "the second command to be done", func() bool {
		return b.command(t, id2).State == hub.CommandDone
	})

	time.Sleep(time.Until(sr.end().Add(time.Second)))
	agentProc.stop()
	// Resyncs re-send the whole state; the counts still must add up.
	converge(t, b, cred, agentDir, cfg, sr)
	procB.stop()
}
