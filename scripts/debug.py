#!/usr/bin/env python3
"""make debug: boot Keel like `make run`, with QEMU's gdbstub, and write a
gdb script that loads Keel's symbols where UEFI loaded it.

QEMU listens for gdb on localhost:1234 (-s). Keel prints
`keel: Keel hypervisor, image at 0x...` first thing (boot/efi_main.c); this
wrapper watches the serial log for that line, stops the machine at once
through QMP (so hv_main has not run yet), and writes
build/debug/keel-gdb.gdb:

    target remote localhost:1234
    add-symbol-file build/keel.so -o <base>
    source scripts/keel.gdb

Then, in a second terminal: `gdb -x build/debug/keel-gdb.gdb`, set
breakpoints (`break exit_dispatch`) and `continue`. Steps:
docs/debugging.md.
"""
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test" / "boot"))
import keelrun  # noqa: E402

BASE_RE = re.compile(rb"keel: Keel hypervisor, image at (0x[0-9a-f]+)")
GDB_PORT = 1234


def gdb_script(base, port=GDB_PORT):
    """The gdb commands that attach and load Keel's symbols at base."""
    so = keelrun.BUILD / "keel.so"
    return (f"target remote localhost:{port}\n"
            f"add-symbol-file {so} -o {base:#x}\n"
            f"source {ROOT / 'scripts' / 'keel.gdb'}\n")


def qmp(path, command):
    """Send one QMP command to the QEMU listening on unix socket path."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(str(path))
    f = s.makefile("rwb")
    f.readline()                                   # the greeting
    for cmd in ("qmp_capabilities", command):
        f.write(json.dumps({"execute": cmd}).encode() + b"\n")
        f.flush()
        while b'"return"' not in (line := f.readline()):
            if not line:
                raise RuntimeError("QMP closed")
    s.close()


def debug_command(esp, work, serial_log, qmp_sock, interactive=True,
                  port=GDB_PORT):
    """make run's QEMU command line plus the gdbstub, a QMP socket, and the
    serial console copied to serial_log."""
    cmd = keelrun.qemu_command(esp, work, interactive=interactive)
    # Replace the serial options by a chardev that also logs to a file.
    for opt in ("-serial", "-monitor"):
        while opt in cmd:
            i = cmd.index(opt)
            del cmd[i:i + 2]
    mux = ",mux=on,signal=off" if interactive else ""
    cmd += ["-chardev", f"stdio,id=con{mux},logfile={serial_log}",
            "-serial", "chardev:con",
            "-qmp", f"unix:{qmp_sock},server=on,wait=off",
            "-gdb", f"tcp:localhost:{port}"]
    cmd += ["-mon", "chardev=con"] if interactive else ["-monitor", "none"]
    return cmd


def wait_base(serial_log, proc, timeout):
    """Poll the serial log until Keel prints its image base; returns it."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if serial_log.exists():
            m = BASE_RE.search(serial_log.read_bytes())
            if m:
                return int(m.group(1), 16)
        time.sleep(0.05)   # polling a file: there is nothing to wait on
    raise TimeoutError("Keel did not print its image base")


def main():
    work = Path(tempfile.mkdtemp(prefix="keel-debug-"))
    out = keelrun.BUILD / "debug"
    out.mkdir(parents=True, exist_ok=True)
    cfg, files = keelrun.default_config()
    esp = keelrun.make_esp(work, cfg, files)
    serial_log, qmp_sock = work / "serial.log", work / "qmp.sock"
    cmd = debug_command(esp, work, serial_log, qmp_sock)
    print(f"debug: QEMU with gdbstub on localhost:{GDB_PORT}; Ctrl-A X quits")
    proc = subprocess.Popen(cmd)

    def attach_point():
        try:
            base = wait_base(serial_log, proc, 300)
            qmp(qmp_sock, "stop")
            script = out / "keel-gdb.gdb"
            script.write_text(gdb_script(base))
            print(f"\r\ndebug: Keel loaded at {base:#x}; machine stopped. In "
                  f"another terminal:\r\n  gdb -x {script}\r\n"
                  "then e.g. 'break exit_dispatch' and 'continue'.\r\n",
                  flush=True)
        except Exception as e:   # report, leave QEMU running
            print(f"\r\ndebug: {e}\r\n", flush=True)

    threading.Thread(target=attach_point, daemon=True).start()
    rc = proc.wait()
    return 0 if rc in (0, keelrun.EXIT_PASS) else rc


if __name__ == "__main__":
    raise SystemExit(main())
