"""Driving the Linux guest's busybox shell over Keel's console."""
import re
import time

import keelrun

LINUX = keelrun.BUILD / "linux"
PROMPT = "keel-guest:/# "
NEXT_VM = "\x1dn"          # Ctrl-] n (hv/debug/monitor.h MONITOR_NEXT_VM)


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


def two_linux_config(names=("a", "b"), cpus=(None, None),
                     cmdline="console=ttyS0"):
    """keel.cfg for two Linux VMs of 256 MiB, each with virtio-net on
    Keel's switch; cpus[i]: VM i's `cpus` list (None: not pinned)."""
    cfg = "[keel]\nlog = info\ntest-exit = yes\n"
    for name, pin in zip(names, cpus):
        cfg += (f"\n[vm {name}]\nmemory = 256M\nformat = linux\n"
                "kernel = \\EFI\\keel\\vmlinuz\n"
                "initrd = \\EFI\\keel\\initrd.img\n"
                f"cmdline = {cmdline}\ndevice = virtio-net\n"
                "expect = poweroff\n" + (f"cpus = {pin}\n" if pin else ""))
    return cfg


class Partitions:
    """Keel's console with several Linux VMs (output prefixed [name]):
    knows which VM has the typed input, moved by Ctrl-] n."""

    def __init__(self, con, names):
        self.con = con
        self.names = names
        self.input = names[0]
        self.serial = 0

    def wait_shells(self, timeout=600):
        """Until every VM has printed its KEEL-GUEST-READY banner."""
        ready = set()
        while ready != set(self.names):
            m = self.con.expect(r"\[(" + "|".join(self.names) + r")\] "
                                r"[^\n]*KEEL-GUEST-READY", timeout=timeout)
            ready.add(m.group(1))

    def switch_to(self, vm):
        """Ctrl-] n until vm has the input (Keel says so each time)."""
        while self.input != vm:
            self.con.send(NEXT_VM)
            m = self.con.expect(r"keel: console input -> vm (\w+)\r*\n",
                                timeout=30)
            self.input = m.group(1)

    def sh(self, vm, cmd, timeout=60):
        """Run cmd in vm's shell; return (vm's output lines, status).

        Only lines prefixed [vm] count; the markers are echoed with quotes
        inside them, so only the printed ones match."""
        self.switch_to(vm)
        self.serial += 1
        tag = f"{vm}{self.serial}"
        self.con.sendline(f"echo @@BEG''IN-{tag}@@; {cmd}; "
                          f"echo @@EN''D-{tag}:$?@@")
        self.con.expect(rf"\[{vm}\] @@BEGIN-{tag}@@\r*\n", timeout=30)
        m = self.con.expect(rf"\[{vm}\] @@END-{tag}:(\d+)@@", timeout=timeout)
        prefix = f"[{vm}] "
        lines = [line[len(prefix):]
                 for line in self.con.child.before.replace("\r", "").split("\n")
                 if line.startswith(prefix)]
        return lines, int(m.group(1))

    def start(self, vm, cmd):
        """Type cmd to vm and return once the shell has echoed it (other
        VMs' commands can run meanwhile); finish() waits for it. Returns
        its tag."""
        self.switch_to(vm)
        self.serial += 1
        tag = f"{vm}{self.serial}"
        self.con.sendline(f"{cmd}; echo @@EN''D-{tag}:$?@@")
        # The shell's echo of the line's end: the VM has taken every typed
        # byte, so moving the input on (which drops bytes a VM has not
        # taken yet) cannot cut the command short. (A line longer than the
        # terminal is echoed wrapped: keep cmd short.)
        self.con.expect(re.escape(f"@@EN''D-{tag}:$?@@"), timeout=60)
        return tag

    def finish(self, tags, timeout=600):
        """Wait until every command started with these tags has ended;
        returns {tag: time.monotonic() when its end was seen}. The end
        marker may already have been read past (while switching input),
        so the whole console text is looked at."""
        seen = {}
        while len(seen) < len(tags):
            text = self.con.text()
            for tag in tags:
                if tag not in seen and f"@@END-{tag}:" in text:
                    seen[tag] = time.monotonic()
            if len(seen) < len(tags):
                self.con.expect(r"@@END-\w+:\d+@@", timeout=timeout)
        return seen
