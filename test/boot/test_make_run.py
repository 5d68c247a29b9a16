"""`make run` as a newcomer meets it (issue 10): scripts/run.sh boots the
default configuration (configs/default.cfg) with the console on a
pseudo-terminal, as a user's terminal. The guest finds virtio-net (1),
virtio-blk (2) and virtio-console (3); the ext4 disk image is mounted, and
a file written in one run is there in the next; udhcpc got a lease, the
guest fetches a file from a server on the host and the host reaches the
guest's httpd through the forwarded port; plain `poweroff` ends QEMU with
status 0 and leaves the image clean (e2fsck -fn); `reboot` restarts the
guest to a new shell in the same QEMU run.

The disk image goes to a temporary folder (KEEL_DISK_DIR), not build/, so
the test leaves the user's disk alone."""
import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request

import pytest

import keelrun
from console import Console, scaled
from linuxguest import PROMPT, sh, wait_shell


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def host_server(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "from-host.txt").write_text("served by the host to keel-guest\n")
    handler = functools.partial(QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def make_run(tmp_path):
    env = dict(os.environ, KEEL_DISK_DIR=str(tmp_path),
               KEEL_HTTP_PORT=str(keelrun.free_tcp_port()))
    con = Console(["sh", str(keelrun.ROOT / "scripts" / "run.sh")],
                  cwd=keelrun.ROOT, env=env)
    return con, int(env["KEEL_HTTP_PORT"])


# A kernel message printed on the same console (e.g. "[    5.81] IPv6:
# ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready" as DHCP finishes) can
# land in the middle of a command's output; it is not the command's.
KMSG = re.compile(r"\[\s*\d+\.\d+\] [^\n]*\n?")


def ok(con, cmd, timeout=60):
    out, rc = sh(con, cmd, timeout)
    assert rc == 0, f"{cmd!r} failed ({rc}):\n{out}\n{con.tail()}"
    return KMSG.sub("\n", out).strip("\n")


def fsck_clean(img):
    r = subprocess.run([shutil.which("e2fsck") or "/usr/sbin/e2fsck", "-fn",
                        str(img)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def host_get(con, url):
    """The host side of the forward; the guest's httpd is up before the
    banner, so one try with a generous timeout is enough."""
    try:
        with urllib.request.urlopen(url, timeout=scaled(30)) as r:
            return r.read().decode()
    except OSError as e:
        con.fail(f"host could not fetch {url}: {e}")


def test_make_run_whole_mission(tmp_path, host_server):
    img = tmp_path / "default-disk0.img"
    con, http_port = make_run(tmp_path)
    try:
        start = time.monotonic()
        wait_shell(con, timeout=300)
        print(f"\nmake run: shell {time.monotonic() - start:.1f} s after "
              "start (first run, image created)")
        text = con.text()
        assert re.search(r"keel-guest: virtio devices: virtio0:net "
                         r"virtio1:block virtio2:console", text), con.tail()
        assert re.search(r"keel-guest: network: eth0 10\.0\.2\.15 \(DHCP\)",
                         text), con.tail()
        assert "mounted on /mnt/data" in text, con.tail()
        assert "hvc0 (virtio-console)" in text, con.tail()

        out = ok(con, "for d in /sys/bus/virtio/devices/*; do "
                      "echo $(basename $d) $(cat $d/device); done")
        assert out.split() == ["virtio0", "0x0001", "virtio1", "0x0002",
                               "virtio2", "0x0003"], out
        out = ok(con, "grep ' /mnt/data ' /proc/mounts")
        assert out.startswith("/dev/vda /mnt/data ext4 rw"), out
        ok(con, "echo kept-from-run-1 > /mnt/data/marker")
        out = ok(con, f"wget -q -O - http://10.0.2.2:{host_server}/"
                      "from-host.txt")
        assert "served by the host to keel-guest" in out, out
        body = host_get(con, f"http://127.0.0.1:{http_port}/")
        assert body.startswith("hello from keel-guest"), body

        con.sendline("poweroff")
        con.expect(r"keel: vm linux: ended \(power-off\)", timeout=120)
        assert con.wait_exit(timeout=60) == 0, con.tail()
    finally:
        con.kill()
    fsck_clean(img)

    # Second run: the file is still there; then reboot in the same run.
    con, _ = make_run(tmp_path)
    try:
        wait_shell(con, timeout=300)
        out = ok(con, "cat /mnt/data/marker")
        assert out.strip() == "kept-from-run-1", out
        con.sendline("reboot")
        con.expect(r"keel: vm linux: reset \(ACPI reset register written\)",
                   timeout=120)
        wait_shell(con, timeout=300)
        out = ok(con, "cat /proc/uptime; cat /mnt/data/marker")
        assert float(out.split()[0]) < 120, out     # a fresh boot
        assert out.split()[-1] == "kept-from-run-1", out
        con.sendline("poweroff")
        assert con.wait_exit(timeout=120) == 0, con.tail()
    finally:
        con.kill()
    fsck_clean(img)


def test_make_run_config_names_a_missing_file(tmp_path):
    cfg = tmp_path / "k.cfg"
    cfg.write_text("[vm x]\nkernel = \\EFI\\keel\\no-such-kernel.elf\n")
    con = Console(["sh", str(keelrun.ROOT / "scripts" / "run.sh"),
                   "--config", str(cfg)], cwd=keelrun.ROOT)
    try:
        con.expect(r"keel: make run: .*k\.cfg names "
                   r"\\EFI\\keel\\no-such-kernel\.elf: no file "
                   r"no-such-kernel\.elf in ", timeout=30)
        assert con.wait_exit(timeout=30) == 2
    finally:
        con.kill()


def test_make_run_gives_qemu_the_pinned_cpus(tmp_path):
    """configs/partitions.cfg pins CPUs 1 and 2: make run starts QEMU with
    -smp 3 and says so (the pinned run itself needs host SMP, branch smp;
    test_configs.py boots the configuration until Keel accepts it)."""
    env = dict(os.environ, KEEL_DISK_DIR=str(tmp_path),
               KEEL_HTTP_PORT=str(keelrun.free_tcp_port()))
    con = Console(["sh", str(keelrun.ROOT / "scripts" / "run.sh"), "--config",
                   str(keelrun.ROOT / "configs" / "partitions.cfg")],
                  cwd=keelrun.ROOT, env=env)

    def qemu_children():
        """(pid, command line) of run.sh's QEMU, once it has started."""
        out = subprocess.run(["pgrep", "-a", "-P", str(con.child.pid)],
                             capture_output=True, text=True).stdout
        return [line.split(" ", 1) for line in out.splitlines()
                if "qemu-system-x86_64" in line]

    qemu = []
    try:
        con.expect(r"keel: booting .*partitions\.cfg under "
                   r"qemu-system-x86_64 ", timeout=30)
        con.expect(r"keel:   cpus: the configuration pins CPUs up to 2: "
                   r"QEMU -smp 3", timeout=30)
        deadline = time.monotonic() + scaled(30)
        while not qemu and time.monotonic() < deadline:
            time.sleep(0.5)
            qemu = qemu_children()
        assert qemu and " -smp 3 " in qemu[0][1], qemu
    finally:
        for pid, _ in qemu:
            subprocess.run(["kill", pid])
        con.kill()
