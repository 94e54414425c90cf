package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// maxLogRead bounds how much of the log file's end a logs command reads,
// so the answer stays well under the wire's message limit.
const maxLogRead = 256 << 10

// logs answers a logs command with the last lines of the log file.
func (e *Executor) logs(c wire.Command) (wire.LogsResult, error) {
	var req wire.LogsRequest
	if len(c.Body) > 0 {
		if err := json.Unmarshal(c.Body, &req); err != nil {
			return wire.LogsResult{}, fmt.Errorf("%w: %v", errBadRequest, err)
		}
	}
	if req.Lines <= 0 || req.Lines > wire.MaxLogLines {
		return wire.LogsResult{}, fmt.Errorf("%w: lines must be 1 to %d", errBadRequest,
			wire.MaxLogLines)
	}
	if e.logFile == "" {
		return wire.LogsResult{}, fmt.Errorf("%w: this agent writes no log file",
			agent.ErrUnsupported)
	}
	return TailLines(e.logFile, req.Lines)
}

// TailLines returns the last n lines of the file at path, reading at most
// its last 256 KiB.
func TailLines(path string, n int) (wire.LogsResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return wire.LogsResult{}, fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return wire.LogsResult{}, fmt.Errorf("read log: %w", err)
	}
	from := max(st.Size()-maxLogRead, 0)
	buf := make([]byte, st.Size()-from)
	if _, err := f.ReadAt(buf, from); err != nil && !errors.Is(err, io.EOF) {
		return wire.LogsResult{}, fmt.Errorf("read log: %w", err)
	}
	if from > 0 {
		// Drop the partial first line.
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	res := wire.LogsResult{Lines: lines, Truncated: from > 0}
	if len(lines) > n {
		res.Lines, res.Truncated = lines[len(lines)-n:], true
	}
	if res.Lines == nil {
		res.Lines = []string{}
	}
	return res, nil
}
