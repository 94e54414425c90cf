package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/shared/wire"
)

// notingConnector reads an empty venue and has a note about it.
type notingConnector struct{ note string }

func (notingConnector) Kind() string { return "noting" }
func (notingConnector) Snapshot(context.Context) (agent.State, error) {
	return agent.State{}, nil
}
func (n *notingConnector) HealthNote() string { return n.note }

// emptyLog is an outbox that stores nothing.
type emptyLog struct{}

func (emptyLog) Snapshot() map[string][]byte { return nil }
func (emptyLog) Append(context.Context, []wire.Event) (uint64, error) {
	return 0, nil
}

func TestPollerReportsHealthNote(t *testing.T) {
	conn := &notingConnector{note: "1 export set aside as malformed"}
	p := service.NewPoller(conn, emptyLog{}, time.Second, quiet)
	if _, err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h := p.Health(); !h.OK || h.Error != conn.note || h.LastSuccess.IsZero() {
		t.Errorf("health = %+v, want OK with the connector's note", h)
	}
	conn.note = ""
	if _, err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h := p.Health(); !h.OK || h.Error != "" {
		t.Errorf("health = %+v once the note is gone, want OK and no error", h)
	}
}
