#!/bin/sh
# make run: boot Keel's default configuration in QEMU, console on this
# terminal (see README.md). Ctrl-A X leaves QEMU at any time.
exec /usr/bin/python3 "$(dirname "$0")/../test/boot/keelrun.py" "$@"
