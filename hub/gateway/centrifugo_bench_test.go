package gateway_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// centrifugoBinary finds Centrifugo: STOLIK_CENTRIFUGO, else bin/peers
// in the repository (make bench-peers builds it there), else the PATH.
func centrifugoBinary() (string, error) {
	if p := os.Getenv("STOLIK_CENTRIFUGO"); p != "" {
		return p, nil
	}
	if p, err := filepath.Abs(filepath.Join("..", "..", "bin", "peers", "centrifugo")); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("centrifugo"); err == nil {
		return p, nil
	}
	return "", errors.New("centrifugo not found (set STOLIK_CENTRIFUGO, or run make bench-peers)")
}

// measureCentrifugo starts Centrifugo on loopback, opens n idle client
// connections (each connected in its protocol, answering pings) and returns
// the growth of its resident memory per connection, read after the same
// settle times as the hub's (settleBefore, settleAfter), with no collection
// forced in either.
func measureCentrifugo(b *testing.B, n int) (float64, error) {
	b.Helper()
	bin, err := centrifugoBinary()
	if err != nil {
		return 0, err
	}
	dir := b.TempDir()
	port := freePort(b)
	conf := filepath.Join(dir, "config.json")
	body := fmt.Sprintf(`{"http_server":{"address":"127.0.0.1","port":%d},`+
		`"client":{"insecure":true},"usage_stats":{"disabled":true},"log":{"level":"error"}}`, port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return 0, err
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-c", conf)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start centrifugo: %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	addr := "127.0.0.1:" + strconv.Itoa(port)
	d := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256,
		HandshakeTimeout: 30 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ws, err := dialCentrifugo(d, addr)
		if err == nil {
			ws.Close()
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("centrifugo did not accept a client: %v; its log: %s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(settleBefore)
	before, err := processRSS(cmd.Process.Pid)
	if err != nil {
		return 0, err
	}

	conns := make([]*websocket.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				ws, err := dialCentrifugo(d, addr)
				if err != nil {
					once.Do(func() { first = fmt.Errorf("connection %d: %w", i, err) })
					next.Store(int64(n))
					return
				}
				conns[i] = ws
				go answerPings(ws)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return 0, first
	}
	time.Sleep(settleAfter)
	after, err := processRSS(cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	b.Logf("centrifugo: %d connections; rss %d -> %d", n, before, after)
	return float64(int64(after)-int64(before)) / float64(n), nil
}

// dialCentrifugo opens a client connection and connects it in
// Centrifugo's JSON protocol.
func dialCentrifugo(d websocket.Dialer, addr string) (*websocket.Conn, error) {
	ws, _, err := d.Dial("ws://"+addr+"/connection/websocket", nil)
	if err != nil {
		return nil, err
	}
	ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"connect":{}}`)); err != nil {
		ws.Close()
		return nil, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, reply, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, err
	}
	if !bytes.Contains(reply, []byte(`"connect"`)) {
		ws.Close()
		return nil, fmt.Errorf("connect answered %s", reply)
	}
	ws.SetReadDeadline(time.Time{})
	return ws, nil
}

// answerPings answers Centrifugo's pings (empty objects) with pongs, as
// its clients do, until the connection closes.
func answerPings(ws *websocket.Conn) {
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if strings.TrimSpace(string(msg)) == "{}" {
			_ = ws.WriteMessage(websocket.TextMessage, []byte("{}"))
		}
	}
}

func freePort(b *testing.B) int {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
