#!/usr/bin/env bash
# Emulator throughput and p99-at-half-load against the bare rsa.VerifyPSS
# reference (docs/benchmarks.md, "Emulator" sections).
#
#   bench/emulatorload/run.sh [ROUNDS] [LOG]     (defaults: 10, /tmp/emulatorload.log)
#
# Each round runs, alternating emulator and reference, one
# BenchmarkVerifiedGetP99HalfLoad / BenchmarkBareVerifyPSSP99HalfLoad (load
# client in its own process) and one 3 s BenchmarkVerifiedGet /
# BenchmarkBareVerifyPSS (throughput, concurrency 8), each under
# /tmp/bench.lock. Every line carries others-cpu-%: the share of the machine
# that other processes used during that run, assuming USER_HZ=100 (the latency benchmarks report it
# themselves; for the throughput runs it is /proc/stat busy time minus the
# benchmark's own CPU). The machine is shared, so runs with others-cpu-% >= 5
# are disturbed and are left out of the figures in docs/benchmarks.md.
set -euo pipefail
rounds=${1:-10}
log=${2:-/tmp/emulatorload.log}
cd "$(dirname "$0")/../../emulator"
bin=$(mktemp -d)/emulator.test
go test -c -o "$bin" .
busy() { awk 'NR==1 { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
for _ in $(seq 1 "$rounds"); do
	for b in VerifiedGetP99HalfLoad BareVerifyPSSP99HalfLoad; do
		flock /tmp/bench.lock "$bin" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 1x | grep '^Benchmark' >>"$log"
	done
	for b in VerifiedGet BareVerifyPSS; do
		(
			exec 9>/tmp/bench.lock
			flock 9
			b0=$(busy)
			s=$(date +%s.%N)
			line=$(/usr/bin/time -f '%U %S' -o "$bin.time" "$bin" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 3s -test.benchmem | grep '^Benchmark')
			e=$(date +%s.%N)
			b1=$(busy)
			read -r u sy <"$bin.time"
			others=$(awk -v b="$((b1 - b0))" -v u="$u" -v sy="$sy" -v s="$s" -v e="$e" -v n="$(nproc)" 'BEGIN { o = 100 * (b / 100 - u - sy) / (n * (e - s)); printf "%.1f", o < 0 ? 0 : o }')
			echo "$line $others others-cpu-%" >>"$log"
		)
	done
done
echo "results in $log"
