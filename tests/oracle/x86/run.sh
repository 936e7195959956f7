#!/bin/sh
# SPDX-License-Identifier: MIT
# Run the x86 oracles: for each scenario of each target, build the tables
# with x86-gen, boot the checker under the emulator (AMD NPT: QEMU TCG;
# Intel EPT: bochs) and collect its PASS/FAIL lines.
#   run.sh BUILD_DIR npt|ept...     (S2PT_ORACLE_SEED replays a random run)
# Prints one PASS/FAIL line per vector and "N passed, N failed"; exits 1 on
# any failure. A target whose emulator is missing is skipped with the reason.
set -u
B=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0

run_npt() {	# DIR: QEMU 7.2, multiboot checker, images through loader devices
	timeout -k 2 10 qemu-system-x86_64 -M pc -accel tcg -cpu qemu64,+svm,+npt,+pdpe1gb \
		-m 256M -nodefaults -display none -no-reboot -debugcon stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$B/checker-npt.bin" \
		-device loader,file="$1/cfg.bin",addr=0x200000,force-raw=on \
		-device loader,file="$1/img.bin",addr=0x400000,force-raw=on \
		</dev/null >"$1/emu.out" 2>"$1/emu.err"
}

run_ept() {	# DIR: bochs 2.7 headless (rfb that waits for no client), floppy boot
	cat >"$1/bochsrc" <<EOT
megs: 256
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=broadwell_ult, count=1, ips=100000000
clock: sync=none
display_library: rfb, options="timeout=0"
floppya: 1_44="$B/boot.img", status=inserted
boot: floppy
floppy_bootsig_check: disabled=0
optramimage1: file="$B/checker-ept.bin", address=0x100000
optramimage2: file="$1/cfg.bin", address=0x200000
optramimage3: file="$1/img.bin", address=0x400000
port_e9_hack: enabled=1
log: $1/bochs.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
EOT
	echo c >"$1/cmds"
	timeout -k 2 20 bochs -f "$1/bochsrc" -q -rc "$1/cmds" </dev/null >"$1/emu.out" 2>"$1/emu.err"
}

for target in "$@"; do
	case $target in
	npt) emu=qemu-system-x86_64 pkg=qemu-system-x86 ;;
	ept) emu=bochs pkg="bochs bochsbios vgabios" ;;
	*) echo "run.sh: unknown target $target"; exit 2 ;;
	esac
	missing=
	command -v $emu >/dev/null 2>&1 || missing=$emu
	if [ $target = ept ]; then
		for f in /usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin; do
			[ -f $f ] || missing="$missing $f"
		done
	fi
	if [ -n "$missing" ]; then
		echo "SKIP x86 $target oracle: $missing not found (apt-get install $pkg)"
		continue
	fi
	for scn in $("$B/x86-gen" list | grep "^$target/"); do
		d=$B/run/$scn
		mkdir -p "$d"
		rm -f "$d/emu.out" "$d/cfg.bin" "$d/img.bin"
		"$B/x86-gen" "$scn" "$d/img.bin" "$d/cfg.bin" >"$d/gen.out" 2>&1
		grc=$?
		grep -E '^(PASS|FAIL) |seed|mappings' "$d/gen.out"
		p=$(grep -c '^PASS ' "$d/gen.out")
		f=$(grep -c '^FAIL ' "$d/gen.out")
		pass=$((pass + p))
		fail=$((fail + f))
		n=$(sed -n 's/^vectors //p' "$d/gen.out")
		if [ -z "$n" ] || [ ! -s "$d/cfg.bin" ]; then
			echo "FAIL $scn: generator failed (exit $grc):"
			sed 's/^/    /' "$d/gen.out"
			fail=$((fail + 1))
			continue
		fi
		t0=$(date +%s.%N)
		run_$target "$d"
		erc=$?
		t1=$(date +%s.%N)
		tr -d '\r' <"$d/emu.out" | grep -E '^(PASS|FAIL) '
		p=$(tr -d '\r' <"$d/emu.out" | grep -c "^PASS $scn #")
		f=$(tr -d '\r' <"$d/emu.out" | grep -c '^FAIL ')
		pass=$((pass + p))
		fail=$((fail + f))
		got=$(tr -d '\r' <"$d/emu.out" | grep -cE "^(PASS|FAIL) $scn #")
		if [ "$got" -ne "$n" ] || ! grep -q ORACLE-DONE "$d/emu.out"; then
			echo "FAIL $scn: $emu gave $got of $n results (exit $erc); see $d/emu.out, emu.err"
			fail=$((fail + n - got + 1))
		fi
		awk -v s="$scn" -v n="$n" -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%s: %d vectors, emulator %.2f s\n", s, n, b - a }' 
	done
done
echo "x86 oracles: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
