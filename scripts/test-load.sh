#!/bin/sh
# make test-load: the whole test suite with the machine busy, as it will be
# on a shared CI runner or a laptop compiling something else. stress-ng
# keeps every CPU busy (--cpu 0: one worker per CPU) for as long as pytest
# runs; every wait in test/boot is stretched by KEEL_TIMEOUT_SCALE
# (test/boot/console.py), 3 unless set. Prints the wall time at the end.
#   usage: test-load.sh [pytest arguments, default test/]
set -u
cd "$(dirname "$0")/.."
: "${KEEL_TIMEOUT_SCALE:=3}"
export KEEL_TIMEOUT_SCALE
workers=${KEEL_LOAD_CPUS:-0}

stress-ng --cpu "$workers" --timeout 7200s --quiet &
stress=$!
# Stop the load whatever happens to us (Ctrl-C included).
trap 'kill "$stress" 2>/dev/null; wait "$stress" 2>/dev/null' EXIT INT TERM

[ "$#" -gt 0 ] || set -- test/
start=$(date +%s)
/usr/bin/python3 -m pytest -q "$@"
rc=$?
echo "test-load: pytest exit status $rc in $(( $(date +%s) - start )) s" \
     "beside stress-ng --cpu ${workers} (0 = one per CPU)," \
     "KEEL_TIMEOUT_SCALE=$KEEL_TIMEOUT_SCALE"
exit $rc
