"""Every configuration shipped in configs/ boots (issue 10): the files it
names are found as `make run CONFIG=...` finds them (keelrun.Machine),
Linux reaches its shell and powers off with plain `poweroff`, the test
guests run to their end; QEMU exits with status 0 each time. The default
configuration is test_make_run.py's."""
import re

import pytest

import keelrun
from console import Console
from linuxguest import PROMPT, sh, wait_shell

CONFIGS = sorted(p.name for p in (keelrun.ROOT / "configs").glob("*.cfg")
                 if p.name != "default.cfg")


def test_every_config_is_tested():
    assert set(CONFIGS) == {"minimal.cfg", "hvc0.cfg", "two-guests.cfg"}, \
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
