#!/bin/sh
# SPDX-License-Identifier: MIT
# Run one oracle scenario: generate its table image and config block, boot
# the checker under an emulator with both loaded, print its PASS/FAIL lines
# and keep the whole output in OUT.log.
# Usage: run.sh OUT GEN SCENARIO CFG_PA IMG_PA TIMEOUT EMULATOR ARGS...
out=$1 gen=$2 scn=$3 cfg_pa=$4 img_pa=$5 tmo=$6
shift 6
tag=$(basename "$out")
if ! "$gen" "$scn" "$out.img" "$out.cfg" > "$out.gen" 2>&1; then
	cat "$out.gen"
	echo "FAIL $tag: generator failed"
	exit 0
fi
cat "$out.gen"
timeout "$tmo" "$@" \
	-device loader,file="$out.cfg",addr="$cfg_pa",force-raw=on \
	-device loader,file="$out.img",addr="$img_pa",force-raw=on \
	< /dev/null > "$out.log" 2>&1
rc=$?
tr -d '\r' < "$out.log" | grep -E '^(PASS|FAIL) |^[a-z0-9]+: '
if ! grep -q '^ORACLE-DONE' "$out.log"; then
	echo "FAIL $tag: the checker did not finish (exit $rc; timeout ${tmo}s?), see $out.log"
fi
exit 0
