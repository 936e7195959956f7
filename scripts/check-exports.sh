#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared library exports only s2pt_* symbols, all in the version node.
so=$1
bad=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^s2pt_' | grep -v '^LIBS2PT_')
if [ -n "$bad" ]; then
	echo "check-exports: unexpected exports in $so:"; echo "$bad"; exit 1
fi
n=$(nm -D --defined-only "$so" | grep -c ' s2pt_')
echo "check-exports: $n symbols, all s2pt_*"
