#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages the build and tests need (as root), or print
# the one apt-get line to run. Arguments: more packages (make fragments'
# DEPS_EXTRA).
pkgs="gcc clang make pkg-config liburcu-dev libcriterion-dev linux-libc-dev g++ $*"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "s2pt: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq $missing >/dev/null || exit 1
else
	echo "s2pt: missing packages; run as root:"
	echo "  apt-get install -y$missing"
	exit 1
fi
