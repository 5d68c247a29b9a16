"""Issue 13, partitions: two Linux VMs in one Keel boot (QEMU TCG, SVM +
NPT), sharing Keel's one console and its network switch.

* Both reach their shells; their output is prefixed by [a] and [b].
* Typed input goes to a first; Ctrl-] n moves it to b (Keel logs it);
  each command's answer comes back with its own VM's prefix.
* Through Keel's switch (hv/net/netswitch.c) the VMs ping each other and
  move 16 MiB over TCP (busybox nc) with matching SHA-256 on both sides,
  once with QEMU's e1000 present as Keel's uplink and once with no NIC
  at all (the switch then has only the two VM ports).
* The monitor's `list` shows each VM's CPUs: `shared` in the e1000 boot
  (no `cpus`, QEMU -smp 1), `1` and `2` in the other (`cpus = 1` and
  `cpus = 2`, QEMU -smp 3, as configs/partitions.cfg).
* `poweroff` in b leaves a running: the input moves to a by itself, and a
  still answers; then a powers off and Keel ends.

One Keel boot per setting for the whole module (the tests below run in
order on it). Every VM runs time-sliced on the boot CPU today, pinned or
not; with pinning (branch smp) the same tests hold. Needs `make linux`.
"""
import re
import time

import pytest

import keelrun
from console import Console
from linuxguest import LINUX, Partitions, linux_files, two_linux_config

VMS = ("a", "b")
IP = {"a": "10.0.13.1", "b": "10.0.13.2"}
PORT = 5013
BLOB_MIB = 16


# name -> (the VMs' cpus lists, QEMU -smp, QEMU's network arguments)
SETUPS = {
    # No option ROM: OVMF would load iPXE for the NIC.
    "e1000": ((None, None), 1, ["-netdev", "user,id=n0", "-device",
                                "e1000,netdev=n0,romfile="]),
    "no-uplink-pinned": (("1", "2"), 3, []),
}


@pytest.fixture(scope="module", params=sorted(SETUPS))
def parts(request, tmp_path_factory):
    """One Keel boot of two Linux VMs, both at their shells."""
    assert (LINUX / "vmlinuz").exists(), "no Linux guest: run make linux"
    tmp = tmp_path_factory.mktemp(f"partitions-{request.param}")
    cpus, smp, extra = SETUPS[request.param]
    esp = keelrun.make_esp(tmp, two_linux_config(VMS, cpus), linux_files())
    con = Console(keelrun.qemu_command(esp, tmp, memory="1G", extra=extra,
                                       smp=smp), cwd=tmp)
    start = time.monotonic()
    try:
        con.expect(r"keel: console: typed input goes to vm a; Ctrl-\] n "
                   "moves it", timeout=120)
        p = Partitions(con, VMS)
        p.wait_shells(timeout=600)
        print(f"\npartitions ({request.param}): both shells after "
              f"{time.monotonic() - start:.0f} s")
        p.setup = request.param
        p.cpus = [c or "shared" for c in cpus]
        yield p
    finally:
        con.kill()


def test_input_switch(parts):
    """a answers first; after Ctrl-] n, b answers, each with its prefix."""
    out, rc = parts.sh("a", "echo answer-$((40+2))")
    assert rc == 0 and "answer-42" in out, out
    out, rc = parts.sh("b", "echo answer-$((40+3))")
    assert rc == 0 and "answer-43" in out, out
    # Each VM has its own virtio-net MAC: the answers really are from two
    # guests.
    mac_a, _ = parts.sh("a", "cat /sys/class/net/eth0/address")
    mac_b, _ = parts.sh("b", "cat /sys/class/net/eth0/address")
    assert mac_a and mac_b and mac_a != mac_b, (mac_a, mac_b)


def test_monitor_lists_cpus(parts):
    """Ctrl-] m, list: each VM with its cpus (or shared); resume."""
    parts.con.send("\x1dm")
    parts.con.expect(r"keel-mon> ", timeout=30)
    parts.con.sendline("list")
    for i, vm in enumerate(VMS):
        parts.con.expect(rf"keel: . vm {i} {vm}: running, 256 MiB, 1 vCPU, "
                         rf"cpus {parts.cpus[i]}\r*\n", timeout=30)
    parts.con.expect(r"keel-mon> ", timeout=30)
    parts.con.sendline("resume")
    parts.con.expect(r"keel: monitor: resuming the guests", timeout=30)
    out, rc = parts.sh(parts.input, "echo back-$((6*7))")
    assert rc == 0 and "back-42" in out, out


def test_ping_each_other(parts):
    for vm in VMS:
        _, rc = parts.sh(vm, f"ip addr add {IP[vm]}/24 dev eth0 && "
                             "ip link set eth0 up")
        assert rc == 0
    out, rc = parts.sh("b", f"ping -c 3 -W 5 {IP['a']}", timeout=120)
    assert rc == 0 and "3 packets received" in "\n".join(out), out
    out, rc = parts.sh("a", f"ping -c 3 -W 5 {IP['b']}", timeout=120)
    assert rc == 0 and "3 packets received" in "\n".join(out), out


def test_tcp_16mib(parts):
    """b sends 16 MiB of random bytes to a over TCP; both hash them."""
    _, rc = parts.sh("a", f"rm -f /tmp/sum; (nc -l -p {PORT} | sha256sum "
                          "> /tmp/sum.part && mv /tmp/sum.part /tmp/sum) & true")
    assert rc == 0
    out, rc = parts.sh("b", f"dd if=/dev/urandom of=/tmp/blob bs=1M "
                            f"count={BLOB_MIB} 2>/dev/null && "
                            "sha256sum /tmp/blob", timeout=300)
    sent = re.search(r"\b([0-9a-f]{64})\b", "\n".join(out))
    assert rc == 0 and sent, out
    start = time.monotonic()
    _, rc = parts.sh("b", f"nc {IP['a']} {PORT} < /tmp/blob", timeout=900)
    seconds = time.monotonic() - start
    assert rc == 0
    out, rc = parts.sh("a", "for i in $(seq 60); do [ -f /tmp/sum ] && "
                            "break; sleep 1; done; cat /tmp/sum",
                       timeout=120)
    assert rc == 0 and sent.group(1) in "\n".join(out), (sent.group(1), out)
    print(f"\npartitions ({parts.setup}): {BLOB_MIB} MiB VM-to-VM over TCP "
          f"in {seconds:.1f} s ({BLOB_MIB / seconds:.2f} MiB/s)")


def test_poweroff_one_leaves_the_other(parts):
    """b powers off; the input moves to a by itself and a still answers."""
    parts.switch_to("b")
    parts.con.sendline("poweroff")
    parts.con.expect(r"keel: vm b: ended \(power-off\)", timeout=120)
    parts.con.expect(r"keel: console input -> vm a\r*\n", timeout=30)
    parts.input = "a"
    out, rc = parts.sh("a", "echo still-$((6*7))")
    assert rc == 0 and "still-42" in out, out
    parts.con.sendline("poweroff")
    assert parts.con.wait_exit(timeout=120) == keelrun.EXIT_PASS
    text = parts.con.text()
    assert "keel: vm a: ended as expected" in text
    assert "keel: vm b: ended as expected" in text
    for line in text.splitlines():
        if line.startswith(("keel: net", "keel: e1000")):
            print(line)
