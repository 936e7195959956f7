#!/bin/sh
# SPDX-License-Identifier: MIT
# s2vmm end to end on real KVM: the guests' own verdicts plus what the VMM
# reports. Usage: e2e.sh S2VMM GUEST_DIR. Skips (exit 0, reason printed)
# without a usable /dev/kvm.
vmm=$1
guests=$2
if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "vmm-test: SKIP: no usable /dev/kvm on this machine"
	exit 0
fi
out=$(mktemp)
snap=$(mktemp)
trap 'rm -f "$out" "$snap"' EXIT
fail=0
passed=0
failed=0

# run NAME EXPECTED_STATUS ARGS...: run s2vmm, keep its output in $out
run() {
	name=$1 want=$2
	shift 2
	start=$(date +%s.%N)
	"$vmm" "$@" > "$out" 2>&1
	st=$?
	secs=$(awk "BEGIN { print $(date +%s.%N) - $start }")
	if [ "$st" != "$want" ]; then
		echo "vmm-test: FAIL $name: exit status $st, expected $want"; sed 's/^/    /' "$out"
		fail=1
		failed=$((failed + 1))
		return 1
	fi
	printf 'vmm-test: %-40s ok  (%.2f s)\n' "$name" "$secs"
	passed=$((passed + 1))
}

# has NAME REGEX: the last run's output matches
has() {
	grep -Eq "$2" "$out" && return 0
	echo "vmm-test: FAIL $1: output lacks /$2/"; sed 's/^/    /' "$out"
	fail=1
	failed=$((failed + 1))
	passed=$((passed - 1))
}

run "default guest, 2 vCPUs" 0 --cpus 2 &&
	has default "guest: success" && has default "mismatches: 0" &&
	has default "memslots" && has default "readonly" &&
	has default "demand-paged pages written and read back"
run "ept4 map on any host" 0 --quiet --s2-format ept4 && has ept4 "guest: success"
run "translate: 20,000 addresses vs KVM" 0 --quiet --translate-test 20000 &&
	has translate "translate: 20000 addresses .* agree on 20000, disagree on 0"
run "translate one address" 0 --quiet --translate 0x7f0000001008 &&
	has translate1 "KVM_TRANSLATE: +valid 1"
run "balloon: 1,000 cycles, 2 vCPUs" 0 --quiet --cpus 2 --balloon 1000 &&
	has balloon "mismatches: 0" && has balloon "guest: success" &&
	has balloon "balloon: 1000 cycles"
run "dirty log every 20 ms" 0 --quiet --cpus 2 --rounds 20 --dirty-log 20 &&
	has dirty "dirty log: [1-9][0-9]* pages written in 20 ms"
run "fault guest: #UD reported" 106 --quiet --guest "$guests/fault.elf" &&
	has fault "exception 6 \(invalid opcode\)"

# snapshot mid-run, restore in a fresh VM: the same final checksum
opts="--quiet --cpus 2 --mem 16M --rounds 1000"
run "reference run for snapshot" 0 $opts && ref=$(grep -o 'checksum 0x[0-9a-f]*' "$out")
run "snapshot (pre-copy)" 0 $opts --snapshot "$snap" &&
	has snapshot "pre-copy round 1: [0-9]+ pages" && has snapshot "final round"
run "restore" 0 --quiet --restore "$snap" && has restore "guest: success" &&
	has restore "$ref"
echo "vmm-test: $passed passed, $failed failed"
exit $fail
