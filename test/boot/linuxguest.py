"""Driving the Linux guest's busybox shell over Keel's console."""
import re

import keelrun

LINUX = keelrun.BUILD / "linux"
PROMPT = "keel-guest:/# "


def linux_config(memory="256M", cmdline="console=ttyS0", name="linux",
                 kernel="vmlinuz", initrd="initrd.img", extra=""):
    return f"""[keel]
log = info
test-exit = yes

[vm {name}]
memory = {memory}
format = linux
kernel = \\EFI\\keel\\{kernel}
initrd = \\EFI\\keel\\{initrd}
cmdline = {cmdline}
expect = poweroff
{extra}"""


def linux_files():
    return {"EFI/keel/vmlinuz": LINUX / "vmlinuz",
            "EFI/keel/initrd.img": LINUX / "initrd.img"}


def wait_shell(con, timeout=180):
    con.expect("KEEL-GUEST-READY", timeout=timeout)
    con.expect(re.escape(PROMPT), timeout=60)


def sh(con, cmd, timeout=60):
    """Run cmd at the guest shell; return (output, exit status).

    The output is framed by two markers printed by `echo`; on the terminal
    the command line itself shows them as @@BEG''IN@@ and @@EN''D:$?@@, so
    only the real markers match, however the line wraps."""
    con.sendline(f"echo @@BEG''IN@@; {cmd}; echo @@EN''D:$?@@")
    con.expect(r"@@BEGIN@@\r*\n", timeout=30)
    m = con.expect(r"@@END:(\d+)@@", timeout=timeout)
    out = con.child.before
    con.expect(re.escape(PROMPT), timeout=30)
    return out.replace("\r", ""), int(m.group(1))
