"""`make run` (scripts/run.sh) boots the default configuration with the
console on the terminal: Debian's kernel to its shell; typing works, and
`poweroff` ends the guest, Keel, and QEMU cleanly (exit status 0)."""
import keelrun
from console import Console
from linuxguest import sh, wait_shell


def test_make_run_boots_linux_and_exits_cleanly():
    con = Console(["sh", str(keelrun.ROOT / "scripts" / "run.sh")],
                  cwd=keelrun.ROOT)
    try:
        wait_shell(con)
        out, rc = sh(con, "echo typed-at-the-shell")
        assert rc == 0 and "typed-at-the-shell" in out
        con.sendline("poweroff -f")
        con.expect(r"keel: vm linux: ended \(power-off\)", timeout=60)
        con.expect(r"keel: all VMs have ended; powering off", timeout=30)
        assert con.wait_exit(timeout=60) == 0, con.tail()
    finally:
        con.kill()
