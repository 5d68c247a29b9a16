"""A smoke run of every libFuzzer target (test/fuzz/fuzz_*.c, built by
`make fuzz-build`; docs/fuzzing.md): each for KEEL_FUZZ_SECONDS seconds
(default 20) from its seeds and the corpus earlier runs left in
build/fuzz/corpus/. A crash, a sanitizer report, a broken invariant or a
hang is a failure that shows the last lines of the fuzzer's output; the
input that caused it is in build/fuzz/crashes/<target>/. The long runs
(10^7 executions each) are `make fuzz`, outside this suite's time."""
import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("fuzz", ROOT / "scripts" /
                                              "fuzz.py")
fuzz = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fuzz)
SECONDS = int(os.environ.get("KEEL_FUZZ_SECONDS", "20"))


@pytest.fixture(scope="module")
def built():
    """The targets, up to date (make's rules: a no-op after `make test`)."""
    r = subprocess.run(["make", "-s", f"BUILD={fuzz.BUILD}", "fuzz-build"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f"make fuzz-build failed:\n{r.stderr[-4000:]}"


@pytest.mark.parametrize("target", fuzz.TARGETS)
def test_fuzz_smoke(built, target):
    r = fuzz.run(target, seconds=SECONDS)
    assert r["status"] == 0 and not r["crashes"], (
        f"fuzz_{target}: libFuzzer status {r['status']}, crashes "
        f"{r['crashes']}, full output in {r['log']}; last lines:\n"
        f"{r['tail']}")
    assert r["execs"] > 0, r["tail"]
