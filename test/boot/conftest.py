"""Fixtures for Keel's boot tests: an ESP image per test and a QEMU with
OVMF reading Keel's serial console."""
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import keelrun  # noqa: E402
from console import Console  # noqa: E402

TESTS = keelrun.BUILD / "guest" / "tests"


@pytest.fixture
def boot(tmp_path):
    """boot(cfg_text, files) -> Console of a QEMU booting Keel."""
    consoles = []

    def start(cfg_text, files=None, memory="1G", with_keel=True, extra=()):
        esp = keelrun.make_esp(tmp_path, cfg_text, files, with_keel=with_keel)
        con = Console(keelrun.qemu_command(esp, tmp_path, memory=memory,
                                           extra=extra), cwd=tmp_path)
        consoles.append(con)
        return con

    yield start
    for con in consoles:
        con.kill()


def elf32_exec(segments, entry):
    """A minimal ELF32 i386 executable with PT_LOAD segments given as
    (paddr, data, memsz) -- for loader tests that need bad placements."""
    phoff, phnum = 52, len(segments)
    offset = phoff + 32 * phnum
    header = struct.pack("<16sHHIIIIIHHHHHH",
                         b"\x7fELF\x01\x01\x01" + b"\0" * 9, 2, 3, 1, entry,
                         phoff, 0, 0, 52, 32, phnum, 40, 0, 0)
    phdrs, blobs = b"", b""
    for paddr, data, memsz in segments:
        phdrs += struct.pack("<IIIIIIII", 1, offset + len(blobs), paddr,
                             paddr, len(data), memsz, 7, 4096)
        blobs += data
    return header + phdrs + blobs


MULTIBOOT_HEADER = struct.pack("<III", 0x1BADB002, 0, (-0x1BADB002) & 0xFFFFFFFF)
