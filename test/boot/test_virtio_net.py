"""Boot test of Keel's network (issue 5): the stock kernel's virtio_net
binds to Keel's virtio-net device, whose frames go through Keel's switch
to its e1000 uplink driver and QEMU's user network. The guest gets a DHCP
lease, fetches a 16 MiB file from an HTTP server this test runs on the
host's loopback (10.0.2.2 from the guest) and checks its SHA-256, and the
host reaches an HTTP server in the guest through a QEMU host forward.

Only loopback addresses are used; every wait is bounded; failures show the
last console lines. Needs `make linux`.
"""
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
from linuxguest import linux_config, linux_files, sh, wait_shell

MiB = 1 << 20
BLOB_MIB = 16
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


@pytest.fixture
def http_blob(tmp_path):
    """A 16 MiB file of pseudo-random bytes served on 127.0.0.1:<port>;
    yields (port, sha256 hex)."""
    www = tmp_path / "www"
    www.mkdir()
    data = random.Random(5).randbytes(BLOB_MIB * MiB)
    (www / "blob").write_bytes(data)
    handler = functools.partial(QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hashlib.sha256(data).hexdigest()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def quoted(lines):
    return " ".join("'" + line + "'" for line in lines)


def fetch_from_host(con, url, tries=30):
    """GET url on the host side, retrying for up to ~tries seconds."""
    last = None
    for _ in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=20) as r:
                return r.read().decode()
        except OSError as e:
            last = e
            time.sleep(1)
    con.fail(f"host could not fetch {url}: {last}")


def test_dhcp_fetch_and_hostfwd(boot, http_blob):
    port, want = http_blob
    hostport = free_port()
    extra = ["-netdev",
             f"user,id=n0,hostfwd=tcp:127.0.0.1:{hostport}-:{GUEST_PORT}",
             # No option ROM: OVMF would load iPXE for the NIC.
             "-device", "e1000,netdev=n0,romfile="]
    con = boot(linux_config(extra="device = virtio-net\n"), linux_files(),
               extra=extra)
    wait_shell(con, timeout=300)
    log = con.text()
    if not re.search(r"e1000 .*link up", log):
        con.fail("Keel did not start its e1000 uplink")
    assert "virtio-net MAC 52:54:00:4b:" in log

    out, rc = sh(con, "for d in /sys/bus/virtio/devices/*; do "
                      "cat $d/device; done; ls /sys/class/net")
    assert rc == 0 and "0x0001" in out and "eth0" in out, con.tail()

    out, rc = sh(con, f"printf '%s\\n' {quoted(DHCP_SCRIPT)} > /tmp/dhcp.sh"
                      " && chmod +x /tmp/dhcp.sh && ip link set eth0 up && "
                      "udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 10 -T 3",
                 timeout=120)
    if rc != 0 or "LEASE 10.0.2.15" not in out:
        con.fail(f"no DHCP lease (rc {rc}): {out}")

    start = time.monotonic()
    out, rc = sh(con, f"wget -q -O - http://10.0.2.2:{port}/blob | "
                      "sha256sum", timeout=FETCH_TIMEOUT)
    seconds = time.monotonic() - start
    if rc != 0 or want not in out:
        con.fail(f"fetch: rc {rc}, got {out.strip()!r}, want {want}")
    print(f"\nvirtio-net: {BLOB_MIB} MiB HTTP fetch + sha256sum in "
          f"{seconds:.1f} s ({BLOB_MIB / seconds:.2f} MiB/s)")

    out, rc = sh(con, "mkdir -p /tmp/www && echo hello-from-guest > "
                      f"/tmp/www/index.html && httpd -p {GUEST_PORT} "
                      "-h /tmp/www")
    assert rc == 0, out
    body = fetch_from_host(con, f"http://127.0.0.1:{hostport}/index.html")
    assert body.strip() == "hello-from-guest"

    out, rc = sh(con, "cat /sys/class/net/eth0/statistics/rx_packets "
                      "/sys/class/net/eth0/statistics/tx_packets")
    print("virtio-net guest rx/tx packets:", " ".join(out.split()))
    con.sendline("exit")
    assert con.wait_exit(timeout=120) == keelrun.EXIT_PASS
    for line in con.text().splitlines():
        if line.startswith(("keel: net", "keel: e1000")):
            print(line)
