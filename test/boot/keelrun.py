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


def make_esp(workdir, cfg_text, files=None, with_keel=True, hidden_sectors=0):
    """Build workdir/esp.img holding keel.efi, keel.cfg and files.

    files maps a path on the volume ("EFI/keel/hlt.elf") to a host path.
    cfg_text None leaves keel.cfg out (the missing-config case).
    hidden_sectors: the LBA of the partition the volume will be put in
    (the FAT boot sector's BPB_HiddSec; 0 for a whole-disk volume).
    """
    workdir = Path(workdir)
    files = dict(files or {})
    payload = sum(Path(src).stat().st_size for src in files.values())
    size_mb = max(64, 48 + (payload >> 20) * 11 // 10)
    img = workdir / "esp.img"
    img.unlink(missing_ok=True)
    subprocess.run(["truncate", "-s", f"{size_mb}M", str(img)], check=True)
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "KEEL",
                    "-h", str(hidden_sectors), str(img)],
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


# A USB stick image (make usb, scripts/usb.py): a GPT disk whose one
# partition, an EFI System Partition, is the volume make_esp builds.
SECTOR = 512
ESP_FIRST_LBA = 2048          # 1 MiB: the usual alignment of partition 1
GPT_BACKUP_SECTORS = 34       # backup partition array (32) + header (1) + slack


def make_usb_image(workdir, cfg_text, files, out):
    """Write out: a GPT disk (UEFI 2.9, 5.3 "GUID Partition Table Disk
    Layout") with one EFI System Partition (type EF00, UEFI 2.9, 13.3
    "File System Format") at LBA 2048 holding the same volume make_esp
    builds for `make run`. Made with sgdisk and dd into a file: no loop
    mount, no root. Returns out's Path."""
    workdir, out = Path(workdir), Path(out)
    esp = make_esp(workdir, cfg_text, files, hidden_sectors=ESP_FIRST_LBA)
    esp_sectors = esp.stat().st_size // SECTOR
    total = ESP_FIRST_LBA + esp_sectors + GPT_BACKUP_SECTORS
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["truncate", "-s", str(total * SECTOR), str(tmp)],
                   check=True)
    subprocess.run(["sgdisk", "--clear",
                    f"--new=1:{ESP_FIRST_LBA}:+{esp_sectors}",
                    "--typecode=1:EF00", "--change-name=1:EFI System",
                    str(tmp)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["dd", f"if={esp}", f"of={tmp}", f"bs={SECTOR}",
                    f"seek={ESP_FIRST_LBA}", "conv=notrunc,fsync",
                    "status=none"], check=True)
    esp.unlink()
    tmp.rename(out)
    return out


def usb_command(img, workdir, memory="1G", extra=()):
    """QEMU booting img as a USB stick (usb-storage on an xHCI controller)
    and no other disk: OVMF finds the ESP through its USB mass-storage
    driver, as a PC's firmware would."""
    return qemu_command(None, workdir, memory=memory, extra=[
        "-drive", f"if=none,id=stick,format=raw,file={img}",
        "-device", "qemu-xhci", "-device", "usb-storage,drive=stick",
        *extra])


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
                 extra=(), cpu=None, serial=True, monitor=None, smp=1):
    """The QEMU command line for booting esp under OVMF (esp None: no
    disk; extra then names the boot device).

    Without nested KVM: TCG with an SVM + NPT CPU (qemu64 is the reference
    model: TCG has no next-RIP save, so Keel decodes instructions itself).
    cpu: another TCG model (e.g. "qemu64,-svm": no virtualization at all).
    serial=False: a machine without a serial port (Keel's console is then
    the screen and the PS/2 keyboard; test_screen.py). monitor: the path
    of a Unix socket for QEMU's human monitor (screendump, sendkey).
    smp: the number of host CPUs (OVMF lists them in the MADT; test_smp).
    """
    workdir = Path(workdir)
    vars_copy = workdir / "OVMF_VARS.fd"
    if not vars_copy.exists():
        shutil.copy(OVMF_VARS, vars_copy)
    if accel is None:
        accel = "kvm" if kvm_nested() else "tcg"
    if cpu is None:
        cpu = "host" if accel == "kvm" else "qemu64,+svm,+npt"
    cmd = [
        "qemu-system-x86_64", "-machine", "q35", "-accel", accel,
        "-cpu", cpu, "-m", memory, "-smp", str(smp),
        "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
        "-drive", f"if=pflash,format=raw,file={vars_copy}",
        *(["-drive", f"format=raw,file={esp}"] if esp else []),
        "-display", "none", "-no-reboot", "-net", "none",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ]
    if interactive:
        cmd += ["-serial", "mon:stdio"]   # Ctrl-A X quits QEMU
    else:
        cmd += ["-serial", "stdio" if serial else "none", "-monitor",
                f"unix:{monitor},server=on,wait=off" if monitor else "none"]
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


DEFAULT_CONFIG = ROOT / "configs" / "default.cfg"
DISK_MIB = 64
HTTP_PORT = 8080          # host side of the forward to the guest's httpd


def default_config():
    """The plain Linux guest on the UART (configs/minimal.cfg), for tools
    that want no extra machine devices (make debug); falls back to the two
    test guests when no Linux guest is built."""
    linux = BUILD / "linux"
    name = "minimal.cfg" if (linux / "vmlinuz").exists() else "two-guests.cfg"
    m = Machine(ROOT / "configs" / name)
    return m.cfg_text, m.files


class ConfigError(Exception):
    """A configuration `make run` cannot boot (a named file is missing)."""


def mke2fs():
    for p in (shutil.which("mke2fs"), "/usr/sbin/mke2fs", "/sbin/mke2fs"):
        if p and Path(p).exists():
            return p
    raise ConfigError("mke2fs not found: install e2fsprogs (make deps)")


def make_data_disk(img, mib=DISK_MIB):
    """A new ext4 image labelled keel-data (the guest's rcS mounts it on
    /mnt/data) holding a README the guest can read and extend. Made by
    mke2fs -d from a folder: no loop mount, no root."""
    seed = Path(tempfile.mkdtemp(prefix="keel-disk-"))
    try:
        (seed / "README.txt").write_text(
            "This file is on build/%s, a disk image on the host that QEMU\n"
            "offers as a virtio-blk-pci device, Keel drives and serves to\n"
            "the guest as its virtio-blk disk. Write here: it is kept.\n"
            % img.name)
        tmp = img.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        subprocess.run([mke2fs(), "-q", "-F", "-t", "ext4", "-L", "keel-data",
                        "-d", str(seed), str(tmp), f"{mib}M"], check=True,
                       stdout=subprocess.DEVNULL)
        tmp.rename(img)
    finally:
        shutil.rmtree(seed, ignore_errors=True)


def port_free(port):
    import socket
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cpu_list(text):
    """The CPU indexes of a keel.cfg `cpus = LIST` ("1", "1-2", "0-1,4"),
    as a set; ConfigError if malformed (Keel's parser, hv/core/config.c,
    has the full rules and messages)."""
    cpus = set()
    for item in text.split(","):
        lo, _, hi = (x.strip() for x in item.partition("-"))
        try:
            a, b = int(lo, 0), int(hi or lo, 0)
        except ValueError:
            raise ConfigError(f"bad cpus list {text!r}") from None
        if not 0 <= a <= b < 64:
            raise ConfigError(f"bad cpus list {text!r}")
        cpus |= set(range(a, b + 1))
    return cpus


class Machine:
    """A keel.cfg and the machine it needs: the files it names (looked up by
    name in the config's folder, then build/, build/linux/,
    build/guest/tests/), and QEMU devices for its machine-side devices:
    virtio-net gets an e1000 uplink on QEMU's user network with a host
    port forwarded to the guest's port 80; virtio-blk-host:N gets a
    virtio-blk-pci drive backed by <disk_dir>/<config name>-diskN.img, made
    (ext4, label keel-data) on first use and kept across runs;
    virtio-blk-nvme:N the same as an NVMe controller's namespace
    (<config name>-nvmeN.img). `cpus = LIST` keys give the machine as
    many CPUs as the highest pinned index + 1 (QEMU -smp; 1 if none)."""

    def __init__(self, path, disk_dir=None, http_port=None):
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(f"no configuration file {self.path}")
        self.cfg_text = self.path.read_text()
        self.disk_dir = Path(disk_dir) if disk_dir else BUILD
        self.http_port = http_port
        self.files = {}
        self.extra = []
        self.notes = []
        self.disks = []
        self.smp = 1
        search = [self.path.parent, BUILD, BUILD / "linux",
                  BUILD / "guest" / "tests"]
        for key, value in self._settings():
            if key in ("kernel", "initrd"):
                self._add_file(value, search)
            elif key == "device":
                self._add_device(value, search)
            elif key == "cpus":
                self.smp = max(self.smp, max(cpu_list(value)) + 1)
        if self.smp > 1:
            self.notes.append(f"cpus: the configuration pins CPUs up to "
                              f"{self.smp - 1}: QEMU -smp {self.smp}")

    def _settings(self):
        for line in self.cfg_text.splitlines():
            line = line.strip()
            if not line or line.startswith(("#", "[")) or "=" not in line:
                continue
            key, value = (x.strip() for x in line.split("=", 1))
            yield key, value

    def _add_file(self, volume_path, search):
        """volume_path as the config writes it (\\EFI\\keel\\x or /EFI/...)."""
        dest = volume_path.replace("\\", "/").lstrip("/")
        name = dest.rsplit("/", 1)[-1]
        for d in search:
            if (d / name).is_file():
                self.files[dest] = d / name
                return
        where = ", ".join(str(d) for d in search)
        raise ConfigError(f"{self.path} names {volume_path}: no file {name} "
                          f"in {where} (make all linux builds the guests)")

    def _add_device(self, value, search):
        dtype, _, arg = (x.strip() for x in value.partition(":"))
        if dtype == "virtio-blk":
            self._add_file(arg.split(":")[0].strip(), search)
        elif dtype == "virtio-blk-host":
            n = int(arg.split(":")[0] or 0)
            img = self.disk_dir / f"{self.path.stem}-disk{n}.img"
            self.disks.append(img)
            dev = f"hd{n + 1}"
            self.extra += ["-drive", f"file={img},if=none,format=raw,id={dev}",
                           "-device",
                           f"virtio-blk-pci,drive={dev},disable-legacy=on"]
            self.notes.append(f"virtio-blk-host:{n} -> {img} (ext4, kept "
                              "across runs; mounted on /mnt/data)")
        elif dtype == "virtio-blk-nvme":
            n = int(arg.split(":")[0] or 0)
            img = self.disk_dir / f"{self.path.stem}-nvme{n}.img"
            self.disks.append(img)
            dev = f"nv{n}"
            self.extra += ["-drive", f"file={img},if=none,format=raw,id={dev}",
                           "-device", f"nvme,drive={dev},serial=keel{n}"]
            self.notes.append(f"virtio-blk-nvme:{n} -> {img} on an NVMe "
                              "controller (ext4, kept across runs)")
        elif dtype == "virtio-net" and not any("e1000" in x
                                               for x in self.extra):
            port = self.http_port
            if port is None:
                port = HTTP_PORT if port_free(HTTP_PORT) else free_tcp_port()
            self.http_port = port
            self.extra += ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:"
                           f"{port}-:80",
                           # No option ROM: OVMF would load iPXE for it.
                           "-device", "e1000,netdev=n0,romfile="]
            self.notes.append(f"virtio-net -> e1000 uplink, QEMU user network "
                              f"(guest 10.0.2.15 by DHCP, host 10.0.2.2); "
                              f"http://127.0.0.1:{port}/ reaches the guest's "
                              "httpd")

    def prepare(self):
        """Create missing disk images; call before booting."""
        for img in self.disks:
            if not img.exists():
                img.parent.mkdir(parents=True, exist_ok=True)
                make_data_disk(img)
                print(f"keel: created {img} ({DISK_MIB} MiB ext4, label "
                      "keel-data)")

    def qemu_command(self, esp, workdir, interactive=False):
        return qemu_command(esp, workdir, interactive=interactive,
                            extra=self.extra, smp=self.smp)


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description="Boot Keel in QEMU (make run)")
    ap.add_argument("--config", default=os.environ.get("CONFIG") or
                    str(DEFAULT_CONFIG), help="a keel.cfg (default: %(default)s)")
    args = ap.parse_args(argv)
    try:
        machine = Machine(args.config,
                          disk_dir=os.environ.get("KEEL_DISK_DIR"),
                          http_port=int(os.environ["KEEL_HTTP_PORT"])
                          if os.environ.get("KEEL_HTTP_PORT") else None)
        machine.prepare()
    except ConfigError as e:
        print(f"keel: make run: {e}")
        return 2
    work = Path(tempfile.mkdtemp(prefix="keel-run-"))
    esp = make_esp(work, machine.cfg_text, machine.files)
    cmd = machine.qemu_command(esp, work, interactive=True)
    print(f"keel: booting {machine.path} under {' '.join(cmd[:8])} ...")
    for note in machine.notes:
        print(f"keel:   {note}")
    print("keel:   Ctrl-] m: Keel's monitor; Ctrl-] n: typed input to the "
          "next VM; poweroff or reboot in the guest; Ctrl-A X quits QEMU")
    rc = subprocess.call(cmd)
    shutil.rmtree(work, ignore_errors=True)
    # QEMU's isa-debug-exit status 1 means Keel ended normally.
    return 0 if rc in (0, EXIT_PASS) else rc


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
                 serial_port=None, extra_rc="", cpus=1):
    """Write workdir/bochsrc for booting esp under OVMF; returns its path.

    COM1 listens on localhost:serial_port (a free port if None). `clock:
    sync=none` and a fixed `ips` make runs repeatable; `sound:
    driver=dummy` avoids a crash of Bochs' mixer thread where the host has
    no sound device. extra_rc: more bochsrc lines (e.g. an e1000). cpus:
    Bochs' `cpu: count` (OVMF then lists them in its MP Services protocol,
    not in a MADT: it gives no ACPI tables under Bochs).
    """
    workdir = Path(workdir)
    if serial_port is None:
        serial_port = free_tcp_port()
    rc = workdir / "bochsrc"
    rc.write_text(f"""megs: {memory_mb}
cpu: model={cpu_model}, count={cpus}, ips=200000000
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
                  serial_port=None, timeout_s=1800, extra_rc="", cpus=1):
    """The command line booting esp under Bochs; `timeout -s KILL` is the
    last resort, as Bochs ignores SIGTERM."""
    rc = bochs_config(esp, workdir, cpu_model, memory_mb, serial_port,
                      extra_rc, cpus)
    return ["timeout", "-s", "KILL", str(timeout_s), "bochs", "-q", "-f",
            str(rc)]


def bochs_console(esp, workdir, cpu_model=BOCHS_VMX_CPU, memory_mb=512,
                  timeout_s=1800, extra_rc="", cpus=1):
    """A Console (test/boot/console.py) on a Bochs booting esp, connected to
    its COM1 socket. wait_exit() returns the status Keel printed, encoded
    as QEMU's isa-debug-exit would ((N << 1) | 1), so tests compare it with
    EXIT_PASS on both emulators."""
    from console import scaled
    port = free_tcp_port()
    return BochsConsole(bochs_command(esp, workdir, cpu_model, memory_mb,
                                      port, int(scaled(timeout_s)),
                                      extra_rc, cpus),
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
    from console import Console, scaled

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
            deadline = time.time() + scaled(60)
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
                self.bochs.expect(r"<bochs:1>", timeout=scaled(60))
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
            if not self.ended.wait(timeout=scaled(30)):
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


if __name__ == "__main__":
    raise SystemExit(main())
