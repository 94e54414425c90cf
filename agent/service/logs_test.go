package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

// TestExecutorLogs: a logs command answers with the newest lines of the
// log file, oldest first; bad requests and a missing file say why.
func TestExecutorLogs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	r := f.exec.Run(ctx, command(t, wire.CommandLogs, wire.LogsRequest{Lines: 3}))
	if r.OK || r.Code != wire.CodeUnsupported {
		t.Errorf("logs without a log file = %+v, want unsupported", r)
	}

	path := filepath.Join(t.TempDir(), "agent.log")
	var b strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "level=INFO msg=line%d\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	f.exec.SetLogFile(path)
	r = f.exec.Run(ctx, command(t, wire.CommandLogs, wire.LogsRequest{Lines: 3}))
	if !r.OK {
		t.Fatalf("logs = %+v, want ok", r)
	}
	var got wire.LogsResult
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := wire.LogsResult{Lines: []string{"level=INFO msg=line8", "level=INFO msg=line9",
		"level=INFO msg=line10"}, Truncated: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}

	for name, lines := range map[string]int{"zero": 0, "too many": wire.MaxLogLines + 1} {
		r := f.exec.Run(ctx, command(t, wire.CommandLogs, wire.LogsRequest{Lines: lines}))
		if r.OK || r.Code != wire.CodeBadRequest {
			t.Errorf("%s lines = %+v, want bad_request", name, r)
		}
	}
}
