"""Issue 14: the screen and the PS/2 keyboard are Keel's console when the
machine has no serial port. QEMU boots Keel with `-vga std`, `-serial
none` and the Linux guest; the screen is read through QEMU's human monitor
(`screendump`, a PPM) and tesseract's OCR, keys are typed with `sendkey`
(QEMU's emulated PS/2 keyboard). Every screenshot is kept as a PNG in the
test's tmp dir; a failure names the last one and prints its OCR text.

One machine serves the first two tests (a Linux boot under TCG is the
slow part): test_banner_and_prompt boots it, test_typing uses the shell it
reached. The others boot small guests: errors before and after
ExitBootServices stay on the screen, and several VMs' lines carry their
[name] prefixes there too."""
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

import keelrun
from console import Console, scaled
from linuxguest import linux_config, linux_files

PIL = pytest.importorskip("PIL.Image", reason="python3-pil (make deps)")
from PIL import ImageOps  # noqa: E402

TESSERACT = "tesseract"
GLYPH_HEIGHT = 16          # Lat15-VGA16 (Makefile FONT)
OCR_ROWS = 14              # text rows OCR reads at the bottom of the text
POLL_GAP = 1.0             # seconds between screenshots while polling
TAIL_LINES = 25


class Monitor:
    """QEMU's human monitor on a Unix socket: one command at a time, each
    answered by the "(qemu) " prompt within a timeout."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + scaled(timeout)
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.settimeout(scaled(timeout))
                self.sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() > deadline:
                    raise AssertionError(f"no QEMU monitor at {path}")
                time.sleep(0.05)   # QEMU is still starting: poll the socket
        self._read_prompt()

    def _read_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("QEMU closed its monitor")
            buf += chunk
        return buf.decode(errors="replace")

    def command(self, line):
        self.sock.sendall(line.encode() + b"\n")
        return self._read_prompt()

    def close(self):
        self.sock.close()


class Screen:
    """Screenshots of the machine and their OCR text."""

    def __init__(self, monitor, workdir):
        self.monitor = monitor
        self.workdir = Path(workdir)
        self.shots = 0
        self.last_png = None
        self.last_text = ""
        self.ocr_seconds = []

    def grab(self):
        """A screenshot as a PIL image (also kept as screen-N.png)."""
        self.shots += 1
        ppm = self.workdir / f"screen-{self.shots}.ppm"
        self.monitor.command(f"screendump {ppm}")
        img = PIL.open(ppm)
        img.load()
        self.last_png = ppm.with_suffix(".png")
        img.save(self.last_png)
        ppm.unlink()
        return img

    def read(self, where="bottom"):
        """OCR of the screen's text: the top OCR_ROWS text rows, the last
        OCR_ROWS rows that have anything drawn (the cursor's end), or
        "all" of it, in bands of OCR_ROWS rows that overlap by two (a whole
        screen at once reads worse: "vm" becomes "um"). Light text on black
        is turned into dark on white and doubled in size, which tesseract
        reads far better at 8x16 pixels a character."""
        img = self.grab().convert("L")
        lit = img.point(lambda v: 255 if v > 60 else 0).getbbox()
        if not lit:
            self.last_text = ""
            return ""
        left, top, right, bottom = lit
        span = OCR_ROWS * GLYPH_HEIGHT
        if where == "all":
            step = span - 2 * GLYPH_HEIGHT
            boxes = [(0, y, right + 8, min(bottom + 4, y + span))
                     for y in range(0, bottom, step)]
        elif where == "top":
            boxes = [(0, 0, right + 8, min(img.height, top + span))]
        else:
            boxes = [(0, max(0, bottom - span), right + 8, bottom + 4)]
        self.last_text = "\n".join(self._ocr(img.crop(b)) for b in boxes)
        return self.last_text

    def _ocr(self, crop):
        crop = ImageOps.invert(crop)
        crop = crop.resize((crop.width * 2, crop.height * 2))
        png = self.workdir / "ocr-input.png"
        crop.save(png)
        t0 = time.monotonic()
        out = subprocess.run([TESSERACT, str(png), "-", "--psm", "6"],
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, OMP_THREAD_LIMIT="1"))
        self.ocr_seconds.append(time.monotonic() - t0)
        return out.stdout

    def wait_for(self, pattern, timeout, where="bottom"):
        """Poll the screen until the OCR text (spaces removed, so a
        misjudged gap does not matter) matches pattern; fail with the last
        text and screenshot after timeout seconds (scaled for load)."""
        deadline = time.monotonic() + scaled(timeout)
        while True:
            text = self.read(where)
            if re.search(pattern, text.replace(" ", "")):
                return text
            if time.monotonic() > deadline:
                self.fail(f"{pattern!r} not on the screen after "
                          f"{scaled(timeout):.0f} s")
            time.sleep(POLL_GAP)   # the gap between polls, not a sync

    def fail(self, what):
        tail = "\n".join(self.last_text.splitlines()[-TAIL_LINES:])
        raise AssertionError(f"{what}\nlast screenshot: {self.last_png}\n"
                             f"--- its OCR text (last {TAIL_LINES} lines) "
                             f"---\n{tail}")


# QEMU's sendkey names (QKeyCode) of the characters the tests type.
KEYS = {" ": "spc", "\n": "ret", "$": "shift-4", "(": "shift-9",
        ")": "shift-0", "*": "shift-8", "-": "minus", "/": "slash",
        "=": "equal", ".": "dot"}


def type_text(monitor, text):
    """Type text on the PS/2 keyboard, one sendkey per key."""
    for ch in text:
        if ch in KEYS:
            key = KEYS[ch]
        elif ch.isupper():
            key = "shift-" + ch.lower()
        else:
            key = ch
        monitor.command(f"sendkey {key}")


def start_machine(work, cfg_text, files, extra=()):
    """QEMU booting Keel with a screen (-vga std), a PS/2 keyboard and no
    serial port; returns the machine's console, monitor and screen."""
    sock = work / "monitor.sock"
    esp = keelrun.make_esp(work, cfg_text, files)
    cmd = keelrun.qemu_command(esp, work, serial=False, monitor=sock,
                               extra=["-vga", "std", *extra])
    start = time.monotonic()
    con = Console(cmd, cwd=work)
    mon = Monitor(sock)
    return {"con": con, "monitor": mon, "screen": Screen(mon, work),
            "start": start}


def stop_machine(m):
    m["monitor"].close()
    m["con"].kill()
    print(f"\nscreenshots in {m['screen'].workdir}")


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """Keel with the Linux guest, booted once for the two tests below."""
    m = start_machine(tmp_path_factory.mktemp("screen"), linux_config(),
                      linux_files())
    yield m
    stop_machine(m)


def test_banner_and_prompt(machine):
    """Keel's banner and its own screen console's first lines appear on the
    screen, then the guest's boot and its shell prompt."""
    screen = machine["screen"]
    # "keel: screen:" is printed by Keel's console after ExitBootServices
    # (the banner alone could be the firmware's drawing of it).
    text = screen.wait_for(r"keel:screen:\d+x\d+pixels", timeout=120,
                           where="top")
    banner_s = time.monotonic() - machine["start"]
    assert re.search(r"KeelHypervisor", text.replace(" ", ""),
                     re.I), screen.fail("no banner above the screen line")
    screen.wait_for(r"keel-guest:/#", timeout=300)
    prompt_s = time.monotonic() - machine["start"]
    ocr = screen.ocr_seconds
    print(f"\nbanner on the screen after {banner_s:.1f} s, shell prompt "
          f"after {prompt_s:.1f} s; OCR {len(ocr)} times, "
          f"{min(ocr):.1f}-{max(ocr):.1f} s each")


def test_typing(machine):
    """Keys typed on the PS/2 keyboard reach the guest's shell: the shell
    computes hi42, then powers the machine off."""
    screen, mon = machine["screen"], machine["monitor"]
    type_text(mon, "echo hi$((6*7))\n")
    screen.wait_for(r"hi42", timeout=60)
    type_text(mon, "poweroff\n")
    status = machine["con"].wait_exit(timeout=120)
    assert status == keelrun.EXIT_PASS, screen.fail(
        f"QEMU exit status {status}, not {keelrun.EXIT_PASS}")


GOOD = """[keel]
[vm good]
memory = 16M
format = multiboot
kernel = \\EFI\\keel\\cpuid.elf
"""
GOOD_FILES = {"EFI/keel/cpuid.elf": keelrun.BUILD / "guest" / "tests" /
              "cpuid.elf"}


def test_config_error_stays(tmp_path):
    """A bad keel.cfg is an error before ExitBootServices: with no serial
    port Keel waits for a key, so the message stays on the screen (drawn
    by the firmware's console) instead of the boot manager's next screen."""
    m = start_machine(tmp_path, GOOD + "colour = blue\n", GOOD_FILES)
    try:
        m["screen"].wait_for(r"keel\.cfg:6:unknownkey.colour", timeout=90,
                             where="all")
        m["screen"].wait_for(r"pressakeytoreturntothefirmware", timeout=30,
                             where="all")
    finally:
        stop_machine(m)


def test_no_svm_error_stays(tmp_path):
    """A CPU whose SVM lacks nested paging (qemu64 without +npt): Keel
    refuses it before ExitBootServices (hv/core/virt_check.c) and, with no
    serial port, holds the reason on the screen until a key is pressed."""
    m = start_machine(tmp_path, GOOD, GOOD_FILES, extra=["-cpu", "qemu64"])
    try:
        m["screen"].wait_for(r"keel:error:cannotstart:(.|\n)*nestedpaging"
                             r"(.|\n)*pressakeytoreturntothefirmware",
                             timeout=90, where="all")
    finally:
        stop_machine(m)


def test_two_vms_prefixed(tmp_path):
    """With several VMs each guest line is drawn as "[name] line", as on the
    serial port (configs/two-guests.cfg). -no-shutdown keeps the screen
    after Keel powers the machine off at the end."""
    m = keelrun.Machine(keelrun.ROOT / "configs" / "two-guests.cfg")
    mach = start_machine(tmp_path, m.cfg_text, m.files,
                         extra=["-no-shutdown"])
    try:
        # OCR reads a '[' at a line's start as '[', 'C' or '('.
        mach["screen"].wait_for(
            r"[\[C(]mbinfo\]mbinfo:cmdline:hellofromkeel\.cfg(.|\n)*"
            r"keel:summary", timeout=120, where="all")
        mach["screen"].wait_for(r"[\[C(]uart\]uart:hellofromaguest",
                                timeout=30, where="all")
    finally:
        stop_machine(mach)
