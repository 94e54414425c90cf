# Turns `go test -bench` output into a table: one row per benchmark, one
# column per reported metric (value and unit), progress on the way.
/^pkg:/ { pkg = $2; next }
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	line = ""
	for (i = 3; i + 1 <= NF; i += 2) {
		if ($(i + 1) == "ns/op" || $(i + 1) == "B/op" || $(i + 1) == "allocs/op") continue
		line = line sprintf("%s %s; ", $i, $(i + 1))
	}
	rows[++n] = sprintf("| %-40s | %s |", name, line)
	printf("  done: %s\n", name) > "/dev/stderr"
	next
}
/^(FAIL|ok|PASS)/ { next }
{ print > "/dev/stderr" }
END {
	print ""
	print "| benchmark | figures |"
	print "|---|---|"
	for (i = 1; i <= n; i++) print rows[i]
}
