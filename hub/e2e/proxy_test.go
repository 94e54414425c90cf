package e2e_test

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chaosProxy forwards loopback TCP connections to a target and, while
// enabled, cuts them mid-stream, delays chunks and stalls them.
type chaosProxy struct {
	ln      net.Listener
	target  string
	enabled atomic.Bool
	cuts    atomic.Int64
	stalls  atomic.Int64

	mu    sync.Mutex // guards conns and rng
	conns map[net.Conn]struct{}
	rng   *rand.Rand
}

func newChaosProxy(t testing.TB, target string) *chaosProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &chaosProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{},
		rng: rand.New(rand.NewPCG(1, 2))}
	p.enabled.Store(true)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	return p
}

func (p *chaosProxy) addr() string { return p.ln.Addr().String() }

func (p *chaosProxy) intn(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.IntN(n)
}

func (p *chaosProxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *chaosProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.track(in, true)
		p.track(out, true)
		closeBoth := func() {
			in.Close()
			out.Close()
			p.track(in, false)
			p.track(out, false)
		}
		var once sync.Once
		go func() { p.pipe(out, in); once.Do(closeBoth) }()
		go func() { p.pipe(in, out); once.Do(closeBoth) }()
	}
}

// pipe copies src to dst in small chunks, so that a cut lands mid-message.
func (p *chaosProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 512)
	for {
		n, err := src.Read(buf)
		if n > 0 && p.enabled.Load() {
			switch r := p.intn(1000); {
			case r < 4: // cut, possibly after half a chunk
				_, _ = dst.Write(buf[:n/2])
				p.cuts.Add(1)
				return
			case r < 6: // stall: the peer sees silence
				p.stalls.Add(1)
				time.Sleep(time.Duration(500+p.intn(2500)) * time.Millisecond)
			case r < 100:
				time.Sleep(time.Duration(p.intn(20)) * time.Millisecond)
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

// TestFlakyNetwork runs the agent through a proxy that cuts, delays and
// stalls its connection: nothing is lost and nothing applied twice.
func TestFlakyNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end network chaos takes about half a minute")
	}
	sr := simRun{
		seed: 11, halls: 3, tables: 120, step: 10 * time.Millisecond,
		changesPerStep: 20, steps: 2000, start: time.Now().Add(time.Second),
	}
	h := newHub(t, "agents: {heartbeat: 1s}\n")
	cred := h.addAgent("Flaky")
	hubProc := h.start()
	proxy := newChaosProxy(t, h.addr)

	agentDir := t.TempDir()
	cfg := agentConfig(t, agentDir, cred, []string{"ws://" + proxy.addr()},
		"poll_interval: 100ms\nuplink: {window: 4, max_batch: 200, backoff_min: 20ms, "+
			"backoff_max: 300ms, heartbeat: 1s}\n"+sr.yaml())
	a := startAgent(t, cfg)
	time.Sleep(time.Until(sr.end().Add(time.Second)))
	proxy.enabled.Store(false)
	a.stop()
	t.Logf("proxy cut %d connections and stalled %d times", proxy.cuts.Load(), proxy.stalls.Load())
	if proxy.cuts.Load() < 5 {
		t.Errorf("only %d cuts: the test did not exercise reconnects", proxy.cuts.Load())
	}
	converge(t, h, cred, agentDir, cfg, sr)
	hubProc.stop()
}
