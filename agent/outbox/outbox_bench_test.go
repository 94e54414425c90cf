package outbox_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/shared/wire"
)

// The workload of BenchmarkAppend: 8 appenders (the poller, the command
// executor and a resync together are fewer; 8 is a stress) each appending
// calls of 100 changes, 2,000 calls in all: 200,000 changes of about 300
// bytes, each for a new reservation id ("reservation/00000001", ...).
// Run it with -benchtime=1x: one iteration is the whole workload.
const (
	benchAppenders = 8
	benchPerCall   = 100
	benchCalls     = 2000
	benchDataSize  = 300
)

// BenchmarkAppend measures Append against a raw bbolt baseline that writes
// the same log entries (same keys, same values) in one db.Update per call,
// from as many goroutines, with the same bbolt options, into a fresh file.
// Both write with fsync on. Metrics: changes/s and raw_changes/s (changes
// per second of wall time), ratio (ours/raw), p99_commit_ms (99th
// percentile latency of an Append call) and raw_p99_commit_ms,
// changes/commit (how many changes group commit put in one transaction).
func BenchmarkAppend(b *testing.B) {
	batches := benchBatches(b)
	var ours, raw benchRun
	var commits uint64
	for range b.N {
		r, c := runOurs(b, batches)
		ours.add(r)
		commits += c
		raw.add(runRaw(b, batches))
	}

	changes := float64(b.N * benchCalls * benchPerCall)
	b.ReportMetric(changes/ours.elapsed.Seconds(), "changes/s")
	b.ReportMetric(changes/raw.elapsed.Seconds(), "raw_changes/s")
	b.ReportMetric(raw.elapsed.Seconds()/ours.elapsed.Seconds(), "ratio")
	b.ReportMetric(ours.p99(), "p99_commit_ms")
	b.ReportMetric(raw.p99(), "raw_p99_commit_ms")
	b.ReportMetric(changes/float64(commits), "changes/commit")
}

// benchRun is the wall time and per-call latencies of one or more runs.
type benchRun struct {
	elapsed   time.Duration
	latencies []time.Duration
}

func (r *benchRun) add(o benchRun) {
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
}

func (r *benchRun) p99() float64 {
	slices.Sort(r.latencies)
	i := len(r.latencies) * 99 / 100
	return float64(r.latencies[i]) / float64(time.Millisecond)
}

// benchBatches builds the calls: distinct, increasing reservation ids with
// about benchDataSize bytes of data each. At is set so that our log entries
// and the baseline's are the same bytes.
func benchBatches(tb testing.TB) [][]wire.Event {
	tb.Helper()
	start := time.Date(2025, 6, 14, 19, 0, 0, 0, time.UTC)
	batches := make([][]wire.Event, benchCalls)
	n := 0
	for i := range batches {
		batch := make([]wire.Event, benchPerCall)
		for j := range batch {
			n++
			id := fmt.Sprintf("%08d", n)
			res := wire.Reservation{
				ID: id, TableIDs: []string{"t-12", "t-13"}, Start: start,
				Duration: wire.Duration(2 * time.Hour), Guests: 4, Name: "Guest " + id,
				Phone: "+7 900 000-00-00", Status: wire.ReservationConfirmed,
				BookingID: "bk_" + id,
			}
			data, err := json.Marshal(res)
			if err != nil {
				tb.Fatal(err)
			}
			if pad := benchDataSize - len(data) - len(`,"comment":""`); pad > 0 {
				res.Comment = strings.Repeat("x", pad)
				data, _ = json.Marshal(res)
			}
			batch[j] = wire.Event{
				Entity: wire.EntityReservation, ID: id, Op: wire.OpUpsert, Data: data, At: start,
			}
		}
		batches[i] = batch
	}
	return batches
}

// runAppenders runs call(i) for every batch index from benchAppenders
// goroutines, each taking the next index, and times it.
func runAppenders(tb testing.TB, call func(i int) error) benchRun {
	tb.Helper()
	var nextCall atomic.Int64
	lat := make([][]time.Duration, benchAppenders)
	var wg sync.WaitGroup
	start := time.Now()
	for a := range benchAppenders {
		wg.Go(func() {
			for {
				i := int(nextCall.Add(1)) - 1
				if i >= benchCalls {
					return
				}
				t0 := time.Now()
				if err := call(i); err != nil {
					tb.Error(err)
					return
				}
				lat[a] = append(lat[a], time.Since(t0))
			}
		})
	}
	wg.Wait()
	r := benchRun{elapsed: time.Since(start)}
	for _, l := range lat {
		r.latencies = append(r.latencies, l...)
	}
	return r
}

func runOurs(b *testing.B, batches [][]wire.Event) (benchRun, uint64) {
	b.Helper()
	o, err := outbox.Open(filepath.Join(b.TempDir(), "outbox.db"), outbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()

	r := runAppenders(b, func(i int) error {
		_, err := o.Append(context.Background(), batches[i])
		return err
	})
	st := o.Stats()
	if want := uint64(benchCalls * benchPerCall); st.LastSeq != want || st.Backlog != want {
		b.Fatalf("stats %+v, want %d events stored", st, want)
	}
	return r, st.Commits
}

// runRaw writes the same log entries with plain bbolt: batch i holds the
// sequence numbers our outbox would give it if the calls came in order.
func runRaw(b *testing.B, batches [][]wire.Event) benchRun {
	b.Helper()
	type kv struct{ k, v []byte }
	entries := make([][]kv, len(batches))
	seq := uint64(0)
	for i, batch := range batches {
		entries[i] = make([]kv, len(batch))
		for j, e := range batch {
			seq++
			e.Seq = seq
			v, err := json.Marshal(e)
			if err != nil {
				b.Fatal(err)
			}
			k := make([]byte, 8)
			binary.BigEndian.PutUint64(k, seq)
			entries[i][j] = kv{k, v}
		}
	}

	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{
		Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("events"))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}

	return runAppenders(b, func(i int) error {
		return db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("events"))
			bk.FillPercent = 0.9 // as the outbox does for its events
			for _, e := range entries[i] {
				if err := bk.Put(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
