"""Runs every host unit-test binary (cmocka, built by `make unit` from
test/unit/test_*.c) as one pytest case each, so `make test` ends with one
summary. A binary that is missing, or a case cmocka skipped, is a
failure, not a pass."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("KEEL_BUILD", ROOT / "build"))
SOURCES = sorted((ROOT / "test" / "unit").glob("test_*.c"))


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_unit(src):
    binary = BUILD / "unit" / src.stem
    assert binary.exists(), f"{binary} was not built (run make unit)"
    r = subprocess.run([str(binary)], capture_output=True, text=True,
                       timeout=600, cwd=ROOT)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"{src.stem} failed:\n{out[-6000:]}"
    # cmocka prints "[  PASSED  ] N test(s)." for a fully passing group; a
    # skipped case (e.g. the real-kernel loader test without `make linux`)
    # is not a pass.
    assert "PASSED" in out and "FAILED" not in out, out[-6000:]
    assert "SKIPPED" not in out, out[-6000:]
