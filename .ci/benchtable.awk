# Turns `go test -bench` output into a table: one row per benchmark, its
# reported figures, and the target the issues set for it. Progress and any
# other output go to stderr as they come.
BEGIN {
	target["BenchmarkAppend"] = ">= 50,000 changes/s; ratio to raw bbolt >= 0.7; p99 commit <= 25 ms"
	target["BenchmarkDrain"] = ">= 20,000 changes/s; 1,000,000 backlog in < 120 s"
	target["BenchmarkIdleConnections"] = "<= 20,000 bytes per idle connection (plain gorilla: ~22,600)"
	target["BenchmarkAgentIdle"] = "<= 30 MB RSS; <= 0.5% of one core"
	target["BenchmarkHotBooking"] = "0 overlaps; >= 1,000 attempts/s; ratio to plain INSERT >= 0.5"
	target["BenchmarkIngest/insert"] = ">= 20,000 events/s"
	target["BenchmarkIngest/update"] = ">= 20,000 events/s"
	target["BenchmarkIngestRouting"] = "ratio with routing across two replicas >= 0.9"
	target["BenchmarkAvailability"] = "< 1 ms per query (100 tables, 300 reservations)"
	target["BenchmarkDeskAvailability"] = "< 1 ms per query, loading from the embedded store"
	target["BenchmarkBookingAPI/bolt"] = "0 overlaps (32 clients)"
	target["BenchmarkBookingAPI/postgres"] = "0 overlaps (32 clients)"
}
/^pkg:/ { pkg = $2; next }
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	line = ""; nsop = ""
	for (i = 3; i + 1 <= NF; i += 2) {
		if ($(i + 1) == "ns/op") nsop = $i " ns/op"
		if ($(i + 1) == "ns/op" || $(i + 1) == "B/op" || $(i + 1) == "allocs/op") continue
		line = line sprintf("%s %s; ", $i, $(i + 1))
	}
	if (line == "") line = nsop
	rows[++n] = sprintf("| %s | %s | %s |", name, line, target[name])
	printf("  done: %s\n", name) > "/dev/stderr"
	next
}
/^(FAIL|ok|PASS)/ { if ($1 == "FAIL") failed = 1; print > "/dev/stderr"; next }
{ print > "/dev/stderr" }
END {
	print ""
	print "| benchmark | figures | target |"
	print "|---|---|---|"
	for (i = 1; i <= n; i++) print rows[i]
	if (failed) { print "some benchmarks FAILED: see above"; exit 1 }
}
