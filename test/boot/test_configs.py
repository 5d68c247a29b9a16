"""Every configuration shipped in configs/ boots (issue 10): the files it
names are found as `make run CONFIG=...` finds them (keelrun.Machine),
Linux reaches its shell and powers off with plain `poweroff`, the test
guests run to their end; QEMU exits with status 0 each time. The default
configuration is test_make_run.py's. partitions.cfg (two Linux VMs, issue
13) is only booted until Keel has accepted it and made both VMs, on the
3 CPUs its pinning asks for: the two Linux VMs at work are
test_partitions.py's."""
import re

import pytest

import keelrun
from console import Console
from linuxguest import PROMPT, sh, wait_shell

CONFIGS = sorted(p.name for p in (keelrun.ROOT / "configs").glob("*.cfg")
                 if p.name != "default.cfg")


def test_every_config_is_tested():
    assert set(CONFIGS) == {"minimal.cfg", "hvc0.cfg", "two-guests.cfg",
                            "partitions.cfg"}, \
        "a new configs/*.cfg needs its checks here"


def respawn_and_ctrl_alt_del(con):
    """busybox init: `exit` gives a new shell; Ctrl-Alt-Del (SIGINT to
    init, which is what the kernel sends once init turned the hard reboot
    off) reboots the guest in an orderly way, to a new shell."""
    con.sendline("exit")
    con.expect(re.escape(PROMPT), timeout=60)
    out, rc = sh(con, "echo respawned-$((6 * 7))")
    assert rc == 0 and "respawned-42" in out, out
    con.sendline("kill -INT 1")
    con.expect(r"rcK: done", timeout=120)
    con.expect(r"keel: vm linux: reset \(ACPI reset register written\)",
               timeout=120)
    wait_shell(con, timeout=300)


@pytest.mark.parametrize("name", CONFIGS)
def test_config_boots(name, tmp_path):
    m = keelrun.Machine(keelrun.ROOT / "configs" / name, disk_dir=tmp_path)
    m.prepare()
    esp = keelrun.make_esp(tmp_path, m.cfg_text, m.files)
    con = Console(m.qemu_command(esp, tmp_path), cwd=tmp_path)
    try:
        if name == "two-guests.cfg":
            con.expect(r"\[mbinfo\] .*hello from keel\.cfg", timeout=120)
            con.expect(r"keel: all VMs have ended", timeout=120)
        elif name == "partitions.cfg":
            assert m.qemu_command(esp, tmp_path)[9:11] == ["-smp", "3"]
            con.expect(r"keel: vm linux2: 256 MiB RAM", timeout=120)
            con.expect(r"keel: console: typed input goes to vm linux1; "
                       r"Ctrl-\] n moves it", timeout=60)
            return
        else:
            wait_shell(con, timeout=300)
            out, rc = sh(con, "cat /sys/class/tty/console/active; "
                              "ls /sys/bus/virtio/devices | wc -l")
            want = {"minimal.cfg": ["ttyS0", "0"],
                    "hvc0.cfg": ["hvc0", "1"]}[name]
            assert rc == 0 and out.split() == want, out
            if name == "minimal.cfg":
                respawn_and_ctrl_alt_del(con)
            con.sendline("poweroff")
            con.expect(r"keel: vm linux: ended \(power-off\)", timeout=120)
        assert con.wait_exit(timeout=60) == 0, con.tail()
    finally:
        con.kill()


def test_missing_config_file_is_named():
    with pytest.raises(keelrun.ConfigError, match=re.escape("no-such.cfg")):
        keelrun.Machine(keelrun.ROOT / "configs" / "no-such.cfg")


def test_cpus_lists_give_qemu_enough_cpus(tmp_path):
    """make run gives QEMU the highest pinned CPU + 1 (-smp), 1 when
    nothing is pinned; a malformed list is refused before QEMU starts."""
    for lists, smp in (([], 1), (["0"], 1), (["1", "2"], 3),
                       (["0-1,4", " 2 , 3 "], 5)):
        cfg = tmp_path / "k.cfg"
        cfg.write_text("".join(f"[vm v{i}]\nkernel = \\EFI\\keel\\uart.elf\n"
                               f"cpus = {c}\n" for i, c in enumerate(lists))
                       or "[vm v]\nkernel = \\EFI\\keel\\uart.elf\n")
        m = keelrun.Machine(cfg)
        assert m.smp == smp, (lists, m.smp)
        cmd = m.qemu_command(None, tmp_path)
        assert cmd[cmd.index("-smp") + 1] == str(smp)
    for bad in ("2-1", "x", "1,", "64"):
        cfg.write_text(f"[vm v]\nkernel = \\EFI\\keel\\uart.elf\ncpus = {bad}\n")
        with pytest.raises(keelrun.ConfigError, match="bad cpus list"):
            keelrun.Machine(cfg)
