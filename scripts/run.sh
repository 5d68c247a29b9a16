#!/bin/sh
# make run: boot a configuration (default configs/default.cfg; --config
# path, or CONFIG=path with make) in QEMU, console on this terminal (see
# README.md). Ctrl-A X leaves QEMU at any time.
exec /usr/bin/python3 "$(dirname "$0")/../test/boot/keelrun.py" "$@"
