"""Boot Keel under QEMU (or Bochs) from a FAT image: shared by `make run`,
the boot tests and `make bench`.

An ESP image is built with Debian's dosfstools and mtools: keel.efi as
EFI/BOOT/BOOTX64.EFI (OVMF boots it without a startup script), keel.cfg in
EFI/keel/, plus the guest files the configuration names.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KEEL_BUILD", ROOT / "build"))
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")

# QEMU exits with (v << 1) | 1 for a write of v to isa-debug-exit.
EXIT_PASS = (0 << 1) | 1
EXIT_FAIL = (1 << 1) | 1
EXIT_FATAL = (2 << 1) | 1


def make_esp(workdir, cfg_text, files=None, with_keel=True):
    """Build workdir/esp.img holding keel.efi, keel.cfg and files.

    files maps a path on the volume ("EFI/keel/hlt.elf") to a host path.
    cfg_text None leaves keel.cfg out (the missing-config case).
    """
    workdir = Path(workdir)
    files = dict(files or {})
    payload = sum(Path(src).stat().st_size for src in files.values())
    size_mb = max(64, 48 + (payload >> 20) * 11 // 10)
    img = workdir / "esp.img"
    img.unlink(missing_ok=True)
    subprocess.run(["truncate", "-s", f"{size_mb}M", str(img)], check=True)
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "KEEL", str(img)],
                   check=True, stdout=subprocess.DEVNULL)
    dirs = {"EFI", "EFI/BOOT", "EFI/keel"}
    for dest in files:
        parts = Path(dest).parts[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for d in sorted(dirs, key=lambda d: d.count("/")):
        subprocess.run(["mmd", "-i", str(img), "::/" + d], check=True, env=env)
    if with_keel:
        files["EFI/BOOT/BOOTX64.EFI"] = BUILD / "keel.efi"
    if cfg_text is not None:
        cfg = workdir / "keel.cfg"
        cfg.write_text(cfg_text)
        files["EFI/keel/keel.cfg"] = cfg
    for dest, src in files.items():
        subprocess.run(["mcopy", "-i", str(img), str(src), "::/" + dest],
                       check=True, env=env)
    return img


def kvm_nested():
    """The host KVM module that can run nested SVM/VMX guests, or None.

    /dev/kvm alone is not enough (here it is a PVM module that runs no
    ordinary guest): the vendor module must be loaded with nesting on.
    """
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return None
    for mod in ("kvm_amd", "kvm_intel"):
        p = Path(f"/sys/module/{mod}/parameters/nested")
        if p.exists() and p.read_text().strip() in ("1", "Y"):
            return mod
    return None


def qemu_command(esp, workdir, memory="1G", interactive=False, accel=None,
                 extra=()):
    """The QEMU command line for booting esp under OVMF.

    Without nested KVM: TCG with an SVM + NPT CPU (qemu64 is the reference
    model: TCG has no next-RIP save, so Keel decodes instructions itself).
    """
    workdir = Path(workdir)
    vars_copy = workdir / "OVMF_VARS.fd"
    if not vars_copy.exists():
        shutil.copy(OVMF_VARS, vars_copy)
    if accel is None:
        accel = "kvm" if kvm_nested() else "tcg"
    cpu = "host" if accel == "kvm" else "qemu64,+svm,+npt"
    cmd = [
        "qemu-system-x86_64", "-machine", "q35", "-accel", accel,
        "-cpu", cpu, "-m", memory, "-smp", "1",
        "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
        "-drive", f"if=pflash,format=raw,file={vars_copy}",
        "-drive", f"format=raw,file={esp}",
        "-display", "none", "-no-reboot", "-net", "none",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ]
    if interactive:
        cmd += ["-serial", "mon:stdio"]   # Ctrl-A X quits QEMU
    else:
        cmd += ["-serial", "stdio", "-monitor", "none"]
    return cmd + list(extra)


def boot_until_ended(workdir, cfg_text, files, timeout=120):
    """Boot Keel under QEMU with cfg_text and files and wait until every VM
    has ended and QEMU has exited. Returns (console, exit status); the
    caller kills the console."""
    from console import Console
    esp = make_esp(workdir, cfg_text, files)
    con = Console(qemu_command(esp, workdir), cwd=workdir)
    con.expect(r"keel: all VMs have ended", timeout=timeout)
    return con, con.wait_exit(timeout=30)


def default_config():
    """What `make run` boots: Debian's kernel with the busybox initramfs
    (built by `make linux`), console on the terminal."""
    linux = BUILD / "linux"
    if (linux / "vmlinuz").exists() and (linux / "initrd.img").exists():
        cfg = """# Keel default configuration (make run): Debian's stock kernel.
[keel]
log = info

[vm linux]
memory = 512M
format = linux
kernel = \\EFI\\keel\\vmlinuz
initrd = \\EFI\\keel\\initrd.img
cmdline = console=ttyS0
"""
        return cfg, {"EFI/keel/vmlinuz": linux / "vmlinuz",
                     "EFI/keel/initrd.img": linux / "initrd.img"}
    return test_guest_config()


def test_guest_config():
    """Two small test guests (used when no Linux guest is built)."""
    tests = BUILD / "guest" / "tests"
    cfg = """# Keel default configuration (make run): two small test guests.
[keel]
log = info

[vm uart]
memory = 16M
format = multiboot
kernel = \\EFI\\keel\\uart.elf

[vm mbinfo]
memory = 16M
format = multiboot
kernel = \\EFI\\keel\\mbinfo.elf
cmdline = hello from keel.cfg
"""
    files = {"EFI/keel/uart.elf": tests / "uart.elf",
             "EFI/keel/mbinfo.elf": tests / "mbinfo.elf"}
    return cfg, files


def main():
    work = Path(tempfile.mkdtemp(prefix="keel-run-"))
    cfg, files = default_config()
    esp = make_esp(work, cfg, files)
    cmd = qemu_command(esp, work, interactive=True)
    print("keel: booting under", " ".join(cmd[:8]), "... (Ctrl-A X quits)")
    rc = subprocess.call(cmd)
    shutil.rmtree(work, ignore_errors=True)
    # QEMU's isa-debug-exit status 1 means Keel ended normally.
    return 0 if rc in (0, EXIT_PASS) else rc


if __name__ == "__main__":
    raise SystemExit(main())


# --- Bochs: the VMX path (and SVM on the same emulator) --------------------
# Bochs 2.7 (Debian `bochs`, `bochs-term`) emulates VMX with EPT and
# unrestricted guest (corei7_skylake_x) and SVM with NPT (ryzen). It boots
# OVMF from a raw FAT image; its debugger is compiled in and stops at the
# first instruction until it reads `c`; its `term` display needs a terminal
# (pexpect gives it one); it ignores SIGTERM. COM1 is a TCP server socket
# (Bochs waits for the client before it starts), so the console reads
# Keel's output and can type at the guest's shell. In test mode Keel prints
# "keel: exit status N" and writes "Shutdown" to port 0x8900, which ends
# Bochs (arch/x86/platform.c).
BOCHS_OVMF = Path("/usr/share/OVMF/OVMF_CODE.fd")
BOCHS_VMX_CPU = "corei7_skylake_x"
BOCHS_SVM_CPU = "ryzen"


def free_tcp_port():
    """A TCP port on localhost that nothing listens on right now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bochs_config(esp, workdir, cpu_model=BOCHS_VMX_CPU, memory_mb=512,
                 serial_port=None, extra_rc=""):
    """Write workdir/bochsrc for booting esp under OVMF; returns its path.

    COM1 listens on localhost:serial_port (a free port if None). `clock:
    sync=none` and a fixed `ips` make runs repeatable; `sound:
    driver=dummy` avoids a crash of Bochs' mixer thread where the host has
    no sound device. extra_rc: more bochsrc lines (e.g. an e1000).
    """
    workdir = Path(workdir)
    if serial_port is None:
        serial_port = free_tcp_port()
    rc = workdir / "bochsrc"
    rc.write_text(f"""megs: {memory_mb}
cpu: model={cpu_model}, count=1, ips=200000000
romimage: file={BOCHS_OVMF}
vgaromimage: file=/usr/share/vgabios/vgabios.bin
pci: enabled=1, chipset=i440fx
ata0-master: type=disk, path={esp}, mode=flat
com1: enabled=1, mode=socket-server, dev=localhost:{serial_port}
display_library: term
log: /dev/null
boot: disk
clock: sync=none
sound: driver=dummy
speaker: enabled=0
{extra_rc}""")
    return rc


def bochs_command(esp, workdir, cpu_model=BOCHS_VMX_CPU, memory_mb=512,
                  serial_port=None, timeout_s=1800, extra_rc=""):
    """The command line booting esp under Bochs; `timeout -s KILL` is the
    last resort, as Bochs ignores SIGTERM."""
    rc = bochs_config(esp, workdir, cpu_model, memory_mb, serial_port,
                      extra_rc)
    return ["timeout", "-s", "KILL", str(timeout_s), "bochs", "-q", "-f",
            str(rc)]


def bochs_console(esp, workdir, cpu_model=BOCHS_VMX_CPU, memory_mb=512,
                  timeout_s=1800, extra_rc=""):
    """A Console (test/boot/console.py) on a Bochs booting esp, connected to
    its COM1 socket. wait_exit() returns the status Keel printed, encoded
    as QEMU's isa-debug-exit would ((N << 1) | 1), so tests compare it with
    EXIT_PASS on both emulators."""
    port = free_tcp_port()
    return BochsConsole(bochs_command(esp, workdir, cpu_model, memory_mb,
                                      port, timeout_s, extra_rc),
                        workdir, port)


def _bochs_console_class():
    """BochsConsole is built on console.Console, which needs pexpect; only
    the boot tests import it, so `make run` (this file's main) does not."""
    import io
    import socket
    import threading
    import time

    import pexpect
    from pexpect import fdpexpect
    from console import Console

    class BochsConsole(Console):
        """The console is COM1's TCP socket (pexpect over its fd); a second
        pexpect child runs Bochs on a terminal, answers its debugger prompt
        with `c`, and keeps reading its screen output (to
        bochs-screen.txt) so that Bochs never blocks on a full terminal."""

        def __init__(self, bochs_cmd, workdir, port):
            workdir = Path(workdir)
            self.screen = open(workdir / "bochs-screen.txt", "w")
            env = dict(os.environ, TERM="xterm")
            self.bochs = pexpect.spawn(bochs_cmd[0], list(bochs_cmd[1:]),
                                       cwd=str(workdir), env=env,
                                       encoding="utf-8",
                                       codec_errors="replace", timeout=30,
                                       dimensions=(25, 80))
            self.bochs.logfile_read = self.screen
            self.sock = None
            deadline = time.time() + 60
            while self.sock is None and time.time() < deadline:
                try:
                    self.sock = socket.create_connection(("127.0.0.1", port))
                except OSError:
                    if not self.bochs.isalive():
                        break
                    time.sleep(0.2)
            try:
                if self.sock is None:
                    raise pexpect.EOF("no COM1 socket")
                self.bochs.expect(r"<bochs:1>", timeout=60)
            except (pexpect.TIMEOUT, pexpect.EOF):
                self.bochs.terminate(force=True)
                raise AssertionError("Bochs did not start (COM1 socket, "
                                     "debugger prompt); see "
                                     f"{self.screen.name}")
            self.bochs.send("c\r")
            self.ended = threading.Event()
            threading.Thread(target=self._drain, daemon=True).start()
            self.log = io.StringIO()
            self.logname = None
            self.child = fdpexpect.fdspawn(self.sock.fileno(),
                                           encoding="utf-8",
                                           codec_errors="replace",
                                           timeout=30, maxread=65536)
            self.child.logfile_read = self.log

        def _drain(self):
            while True:
                try:
                    self.bochs.read_nonblocking(65536, timeout=1)
                except pexpect.TIMEOUT:
                    continue
                except (pexpect.EOF, OSError, ValueError):
                    break
            self.ended.set()

        def wait_exit(self, timeout=60):
            """Wait for Keel's final status line and for Bochs to end;
            returns the status as QEMU's isa-debug-exit would report it."""
            m = self.expect(r"keel: exit status (\d+)", timeout=timeout)
            status = int(m.group(1))
            if not self.ended.wait(timeout=30):
                self.fail("Keel printed its exit status but Bochs did not "
                          "end (port 0x8900 shutdown not taken?)")
            self.kill()
            return (status << 1) | 1

        def kill(self):
            if self.bochs.isalive():
                self.bochs.terminate(force=True)   # SIGKILL: no SIGTERM
            if self.sock is not None:
                self.sock.close()
                self.sock = None
            self.screen.close()

    return BochsConsole


def BochsConsole(bochs_cmd, workdir, port):   # noqa: N802 (a class)
    return _bochs_console_class()(bochs_cmd, workdir, port)
