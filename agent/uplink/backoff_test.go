package uplink

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestCeiling(t *testing.T) {
	const lo, hi = 500 * time.Millisecond, time.Minute
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{-1, lo},
		{0, lo},
		{1, time.Second},
		{2, 2 * time.Second},
		{6, 32 * time.Second},
		{7, hi}, // 64s is capped
		{8, hi},
		{63, hi},
		{1 << 30, hi}, // no overflow
	}
	for _, tc := range tests {
		if got := ceilingFor(tc.attempt, lo, hi); got != tc.want {
			t.Errorf("ceilingFor(%d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
	if got := ceilingFor(3, time.Second, time.Second); got != time.Second {
		t.Errorf("ceilingFor with min == max = %v", got)
	}
}

// Full jitter: delays spread over the whole of [0, ceiling], so agents cut
// off together come back spread out.
func TestJitterIsFull(t *testing.T) {
	const ceiling = time.Second
	r := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	var lowest, highest, sum time.Duration = ceiling, 0, 0
	for range n {
		d := jittered(ceiling, r.Int64N)
		if d < 0 || d > ceiling {
			t.Fatalf("delay %v outside [0, %v]", d, ceiling)
		}
		lowest, highest, sum = min(lowest, d), max(highest, d), sum+d
	}
	mean := sum / n
	if lowest > ceiling/100 || highest < ceiling*99/100 {
		t.Errorf("delays span [%v, %v], want nearly [0, %v]", lowest, highest, ceiling)
	}
	if mean < ceiling*48/100 || mean > ceiling*52/100 {
		t.Errorf("mean delay %v, want about %v", mean, ceiling/2)
	}

	// The same seed gives the same delays.
	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for range 10 {
		if x, y := jittered(ceiling, a.Int64N), jittered(ceiling, b.Int64N); x != y {
			t.Fatalf("seeded delays differ: %v and %v", x, y)
		}
	}
}
