#!/usr/bin/env python3
"""Run Keel's libFuzzer targets (build/fuzz/fuzz_*, built by `make
fuzz-build` from test/fuzz/) one after another and report, per target, the
executions, exec/s, final coverage (libFuzzer's cov: and ft:) and the
crashes it saved. docs/fuzzing.md says what each target checks.

Usage: scripts/fuzz.py (--runs N | --seconds S) [target ...]
  target: emulate, virtq, ... (default: every test/fuzz/fuzz_*.c)

Each target starts from its seeds in test/fuzz/corpus/<target>/ plus what
earlier runs found in build/fuzz/corpus/<target>/ (new inputs are written
there, never into the tree); crashing inputs go to
build/fuzz/crashes/<target>/, the full output to build/fuzz/logs/. One
fuzzer process at a time (no -jobs): the machine is shared.
Exit status 0 when every target ended without a crash, 1 otherwise.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("KEEL_BUILD", ROOT / "build"))
TARGETS = sorted(p.stem[len("fuzz_"):]
                 for p in (ROOT / "test" / "fuzz").glob("fuzz_*.c"))
# Longest input per target (bytes): room for the structure each target
# reads, small enough to keep executions fast.
MAX_LEN = {"emulate": 128, "virtq": 6144, "virtio_pci": 2048,
           "config": 4096, "loaders": 16384, "acpi": 512}
# A single input that takes longer than this (seconds) is reported as a
# hang: every call into Keel is supposed to be bounded.
TIMEOUT = 25
STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
COV = re.compile(r"cov: (\d+) ft: (\d+)")


def run(target, runs=None, seconds=None, build=BUILD):
    """Run one target for `runs` executions or `seconds` seconds. Returns a
    dict: target, status (libFuzzer's exit status), execs, exec_s, cov, ft,
    crashes (files saved in this run), log (Path), tail (last 40 lines)."""
    binary = build / "fuzz" / f"fuzz_{target}"
    corpus = build / "fuzz" / "corpus" / target
    crashes = build / "fuzz" / "crashes" / target
    logs = build / "fuzz" / "logs"
    for d in (corpus, crashes, logs):
        d.mkdir(parents=True, exist_ok=True)
    before = set(crashes.iterdir())
    limit = [f"-runs={runs}"] if runs is not None else \
        [f"-max_total_time={seconds}"]
    cmd = [str(binary), *limit, "-print_final_stats=1",
           f"-max_len={MAX_LEN.get(target, 4096)}", f"-timeout={TIMEOUT}",
           f"-artifact_prefix={crashes}/", str(corpus),
           str(ROOT / "test" / "fuzz" / "corpus" / target)]
    log = logs / f"{target}.log"
    start = time.monotonic()
    with open(log, "w") as out:
        status = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT).returncode
    wall = time.monotonic() - start
    text = log.read_text(errors="replace")
    stats = {k: int(v) for k, v in STAT.findall(text)}
    cov = COV.findall(text)
    execs = stats.get("number_of_executed_units", 0)
    return {
        "target": target, "status": status, "execs": execs,
        "exec_s": stats.get("average_exec_per_sec",
                            int(execs / wall) if wall else 0),
        "cov": int(cov[-1][0]) if cov else 0,
        "ft": int(cov[-1][1]) if cov else 0,
        "crashes": sorted(str(p) for p in set(crashes.iterdir()) - before),
        "seconds": round(wall), "log": log,
        "tail": "\n".join(text.splitlines()[-40:]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--runs", type=int)
    group.add_argument("--seconds", type=int)
    ap.add_argument("targets", nargs="*", default=TARGETS)
    args = ap.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        sys.exit(f"fuzz: no target {', '.join(sorted(unknown))} "
                 f"(have: {', '.join(TARGETS)})")
    results = []
    for t in args.targets:
        print(f"fuzz: {t} ...", flush=True)
        r = run(t, runs=args.runs, seconds=args.seconds)
        results.append(r)
        print(f"fuzz: {t}: {r['execs']} executions in {r['seconds']} s "
              f"({r['exec_s']}/s), cov: {r['cov']} ft: {r['ft']}, "
              f"crashes: {len(r['crashes'])}, status {r['status']} "
              f"(log {r['log']})", flush=True)
        for c in r["crashes"]:
            print(f"fuzz:   {c}")
        if r["status"]:
            print(r["tail"])
    print(f"\n{'target':<12} {'executions':>11} {'exec/s':>7} {'cov':>6} "
          f"{'ft':>7} {'crashes':>7}")
    for r in results:
        print(f"{r['target']:<12} {r['execs']:>11} {r['exec_s']:>7} "
              f"{r['cov']:>6} {r['ft']:>7} {len(r['crashes']):>7}")
    return 1 if any(r["status"] or r["crashes"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
