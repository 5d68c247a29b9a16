"""Boot test of Keel's network (issue 5): the stock kernel's virtio_net
binds to Keel's virtio-net device, whose frames go through Keel's switch
to its uplink driver (drivers/e1000.c) and QEMU's user network. The QEMU
test runs twice: with QEMU's `e1000` (82540EM) and with its `e1000e`
(82574L, issue 14) as the machine's NIC; Keel's log must name the model. The guest gets a DHCP
lease, fetches a 16 MiB file from an HTTP server this test runs on the
host's loopback (10.0.2.2 from the guest) and checks its SHA-256, and the
host reaches an HTTP server in the guest through a QEMU host forward.
The same checks run on the VMX path under Bochs, whose e1000 and slirp
network stand in for QEMU's (a 1 MiB file there: Bochs is slow), in
test_vmx.py's one Bochs Linux boot.

Only loopback addresses are used; every wait is bounded; failures show the
last console lines. Needs `make linux`.
"""
import contextlib
import functools
import hashlib
import http.server
import random
import re
import socket
import threading
import time
import urllib.request

import pytest

import keelrun
from console import scaled
from linuxguest import linux_config, linux_files, sh, wait_shell

MiB = 1 << 20
BLOB_MIB = 16
SMALL_MIB = 1
GUEST_PORT = 8080
FETCH_TIMEOUT = 900     # s: 16 MiB under TCG with nested paging

# busybox udhcpc runs this with $1 = bound/renew and the lease in the
# environment ($interface, $ip, $subnet, $router).
DHCP_SCRIPT = [
    "#!/bin/sh",
    'case "$1" in',
    "bound|renew)",
    "  ifconfig $interface $ip netmask $subnet up",
    "  for r in $router; do route add default gw $r dev $interface; done",
    '  echo "LEASE $ip";;',
    "esac",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_blobs(www):
    """Files of pseudo-random bytes written to the new directory www and
    served on 127.0.0.1:<port>: `blob` (16 MiB) and `small` (1 MiB);
    yields (port, {name: sha256 hex}) until the with block ends."""
    www.mkdir()
    sums = {}
    rnd = random.Random(5)
    for name, mib in (("blob", BLOB_MIB), ("small", SMALL_MIB)):
        data = rnd.randbytes(mib * MiB)
        (www / name).write_bytes(data)
        sums[name] = hashlib.sha256(data).hexdigest()
    handler = functools.partial(QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], sums
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def http_blob(tmp_path):
    """serve_blobs for one test."""
    with serve_blobs(tmp_path / "www") as served:
        yield served


def quoted(lines):
    return " ".join("'" + line + "'" for line in lines)


def fetch_from_host(con, url, tries=30):
    """GET url on the host side, retrying for up to ~tries seconds."""
    last = None
    for _ in range(int(scaled(tries))):
        try:
            with urllib.request.urlopen(url, timeout=20) as r:
                return r.read().decode()
        except OSError as e:
            last = e
            time.sleep(1)
    con.fail(f"host could not fetch {url}: {last}")


# QEMU/Bochs device name -> what Keel's log line must say about it.
NIC_LOG = {
    "e1000": r"keel: e1000 [0-9a-f:.]+ \(8086:100e, Intel 82540EM\): .*link up",
    "e1000e": r"keel: e1000e [0-9a-f:.]+ \(8086:10d3, Intel 82574L\): .*link up",
}


def net_checks(con, port, sums, hostport, name, mib, timeout, nic="e1000"):
    """The guest-side checks on a booted guest at its shell: Keel started
    its uplink on nic and named the model, virtio-net bound as eth0, a DHCP
    lease, the fetch of `name` (mib MiB) with its SHA-256, then the host
    reaching the guest's httpd on hostport."""
    log = con.text()
    if not re.search(NIC_LOG[nic], log):
        con.fail(f"Keel did not start its {nic} uplink (or did not name "
                 "the model)")
    assert "virtio-net MAC 52:54:00:4b:" in log

    out, rc = sh(con, "for d in /sys/bus/virtio/devices/*; do "
                      "cat $d/device; done; ls /sys/class/net",
                 timeout=timeout)
    assert rc == 0 and "0x0001" in out and "eth0" in out, con.tail()

    out, rc = sh(con, f"printf '%s\\n' {quoted(DHCP_SCRIPT)} > /tmp/dhcp.sh"
                      " && chmod +x /tmp/dhcp.sh && ip link set eth0 up && "
                      "udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 10 -T 3",
                 timeout=timeout)
    if rc != 0 or "LEASE 10.0.2.15" not in out:
        con.fail(f"no DHCP lease (rc {rc}): {out}")

    start = time.monotonic()
    out, rc = sh(con, f"wget -q -O - http://10.0.2.2:{port}/{name} | "
                      "sha256sum", timeout=timeout)
    seconds = time.monotonic() - start
    if rc != 0 or sums[name] not in out:
        con.fail(f"fetch: rc {rc}, got {out.strip()!r}, want {sums[name]}")
    print(f"\nvirtio-net over {nic}: {mib} MiB HTTP fetch + sha256sum in "
          f"{seconds:.1f} s ({mib / seconds:.2f} MiB/s)")

    out, rc = sh(con, "mkdir -p /tmp/www && echo hello-from-guest > "
                      f"/tmp/www/index.html && httpd -p {GUEST_PORT} "
                      "-h /tmp/www", timeout=timeout)
    assert rc == 0, out
    body = fetch_from_host(con, f"http://127.0.0.1:{hostport}/index.html")
    assert body.strip() == "hello-from-guest"

    out, rc = sh(con, "cat /sys/class/net/eth0/statistics/rx_packets "
                      "/sys/class/net/eth0/statistics/tx_packets",
                 timeout=timeout)
    print("virtio-net guest rx/tx packets:", " ".join(out.split()))


def poweroff_and_report(con, timeout):
    con.sendline("poweroff")
    assert con.wait_exit(timeout=timeout) == keelrun.EXIT_PASS
    for line in con.text().splitlines():
        if line.startswith(("keel: net", "keel: e1000")):
            print(line)


@pytest.mark.parametrize("nic", ["e1000", "e1000e"])
def test_dhcp_fetch_and_hostfwd(boot, http_blob, nic):
    port, sums = http_blob
    hostport = free_port()
    extra = ["-netdev",
             f"user,id=n0,hostfwd=tcp:127.0.0.1:{hostport}-:{GUEST_PORT}",
             # No option ROM: OVMF would load iPXE for the NIC.
             "-device", f"{nic},netdev=n0,romfile="]
    con = boot(linux_config(extra="device = virtio-net\n"), linux_files(),
               extra=extra)
    wait_shell(con, timeout=300)
    net_checks(con, port, sums, hostport, "blob", BLOB_MIB, FETCH_TIMEOUT,
               nic)
    poweroff_and_report(con, 120)
