#!/usr/bin/env python3
"""Keel's lab autograder: `make grade LAB=n` (docs/labs/README.md).

    test/labs/grade.py [--build] [--json FILE] LAB     LAB is 1..8 or all

Runs the lab's tests from test/labs/labs.toml and prints, on stdout, one
line per test and a total, each `name: points/max`:

    lab4-pt-lookup: 2/2
    lab4-mmio-hole: 0/3
    total: 2/10

With LAB=all every lab's tests run (one shared boot for all guests, one
run of each unit-test binary) and a `labN: points/max` line follows each
lab. Build output and diagnostics go to stderr, so stdout holds only score
lines. The grader never fails because the code under test does: a binary
that is missing, crashes or hangs, a guest that never prints, a
hypervisor that panics or a boot that times out all score 0 for the
tests concerned. The exit status is 0 whenever grading finished (whatever
the score), 2 on a usage or manifest error.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "test" / "boot"))
import keelrun  # noqa: E402
from console import Console  # noqa: E402

BUILD = keelrun.BUILD
MAX_VMS_PER_BOOT = 8
CASE_RE = re.compile(r"^\[\s*(OK|FAILED)\s*\] (\S+)", re.M)


def log(msg):
    print(f"grade: {msg}", file=sys.stderr, flush=True)


def load_manifest(path=HERE / "labs.toml"):
    with open(path, "rb") as f:
        m = tomllib.load(f)
    vms = m.get("vm", {})
    for lab in m["lab"]:
        for t in lab["test"]:
            kinds = [k for k in ("unit", "vm", "linux") if k in t]
            if len(kinds) != 1:
                raise SystemExit(f"labs.toml: test {t.get('name')}: needs "
                                 "exactly one of unit, vm, linux")
            if "vm" in t and t["vm"] not in vms:
                raise SystemExit(f"labs.toml: test {t['name']}: unknown vm "
                                 f"{t['vm']!r}")
    return m


def build(labs):
    """make -k: build as much as compiles, so one broken file costs only
    the tests that need it."""
    targets = ["all", "unit"]
    if any("linux" in t for lab in labs for t in lab["test"]):
        targets.append("linux")
    jobs = str(os.cpu_count() or 1)
    r = subprocess.run(["make", "-s", "-k", "-j", jobs] + targets, cwd=ROOT,
                       stdout=sys.stderr, stderr=sys.stderr)
    if r.returncode:
        log("the build failed (see above); tests that need the missing "
            "parts score 0")


# ---- unit tests -------------------------------------------------------

def run_unit(binary, timeout=300):
    """{case: passed} for one cmocka binary; {} if it is missing or hangs."""
    path = BUILD / "unit" / binary
    if not path.exists():
        log(f"{path} was not built")
        return {}
    try:
        r = subprocess.run([str(path)], cwd=ROOT, capture_output=True,
                           text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        log(f"{binary} timed out after {timeout} s")
    else:
        out = r.stdout + r.stderr
    return {name: kind == "OK" for kind, name in CASE_RE.findall(out)}


# ---- boot tests --------------------------------------------------------

def vm_config(vms, names):
    """keel.cfg text and ESP files for the VMs `names`; VMs whose kernel
    was not built are left out (their tests score 0)."""
    cfg = "[keel]\nlog = info\ntest-exit = yes\n"
    files, started = {}, []
    for name in names:
        spec = vms[name]
        src = BUILD / "guest" / spec["kernel"]
        if not src.exists():
            log(f"vm {name}: {src} was not built")
            continue
        dest = f"EFI/keel/{name}.elf"
        cfg += (f"\n[vm {name}]\nmemory = {spec.get('memory', '16M')}\n"
                f"format = {spec.get('format', 'multiboot')}\n"
                f"kernel = \\EFI\\keel\\{name}.elf\n"
                f"expect = {spec.get('expect', 'pass')}\n"
                f"{spec.get('extra', '')}")
        files[dest] = src
        started.append(name)
    return cfg, files, started


def boot_vms(vms, names, workdir, timeout):
    """Boot every VM in `names` under Keel once; returns the console text
    (whatever was printed before the end, a panic or the timeout) and the
    VMs started."""
    cfg, files, started = vm_config(vms, names)
    if not started:
        return "", started
    workdir.mkdir(parents=True, exist_ok=True)
    esp = keelrun.make_esp(workdir, cfg, files)
    con = Console(keelrun.qemu_command(esp, workdir), cwd=workdir)
    try:
        con.expect(r"keel: all VMs have ended|FATAL", timeout=timeout)
        con.wait_exit(timeout=30)
    except AssertionError as e:
        log(str(e).splitlines()[0])
    finally:
        con.kill()
    return con.text(), started


def boot_linux(workdir, timeout=300):
    """True if Debian's kernel reaches its busybox shell under Keel."""
    from linuxguest import linux_config, linux_files, wait_shell, sh
    for src in linux_files().values():
        if not Path(src).exists():
            log(f"{src} is missing (make linux)")
            return False
    workdir.mkdir(parents=True, exist_ok=True)
    esp = keelrun.make_esp(workdir, linux_config(), linux_files())
    con = Console(keelrun.qemu_command(esp, workdir), cwd=workdir)
    try:
        wait_shell(con, timeout=timeout)
        out, rc = sh(con, "echo lab7 $((6 * 7))")
        return rc == 0 and "lab7 42" in out
    except AssertionError as e:
        log(str(e).splitlines()[0])
        return False
    finally:
        con.kill()


def vm_lines(text, name, alone):
    """The lines VM `name` printed. With several VMs Keel prefixes each
    guest line with [name]; a VM alone owns the console unprefixed."""
    if alone:
        return {l.rstrip() for l in text.splitlines()}
    prefix = f"[{name}] "
    return {l[len(prefix):].rstrip() for l in text.splitlines()
            if l.startswith(prefix)}


def score_vm_test(t, boots):
    name = t["vm"]
    if name not in boots:
        return False
    text, alone = boots[name]
    if "lines" in t:
        got = vm_lines(text, name, alone)
        if not all(l in got for l in t["lines"]):
            return False
    if "log" in t and not all(s in text for s in t["log"]):
        return False
    if t.get("ended") and f"keel: vm {name}: ended as expected" not in text:
        return False
    return True


# ---- the run ------------------------------------------------------------

def grade(labs, vms, workdir, boot_timeout=None):
    """Run the tests of `labs`; returns [(lab, [(test, points)])]."""
    units = sorted({t["unit"] for lab in labs for t in lab["test"]
                    if "unit" in t})
    unit_results = {}
    for u in units:
        unit_results[u] = run_unit(u)

    names = []
    for lab in labs:
        for t in lab["test"]:
            if "vm" in t and t["vm"] not in names:
                names.append(t["vm"])
    # Keel runs at most MAX_VMS_PER_BOOT VMs (CFG_MAX_VMS in hv/core/config.h).
    boots = {}
    for i in range(0, len(names), MAX_VMS_PER_BOOT):
        batch = names[i:i + MAX_VMS_PER_BOOT]
        timeout = boot_timeout or 90 + 15 * len(batch)
        text, started = boot_vms(vms, batch, workdir / f"vms{i}", timeout)
        for name in started:
            boots[name] = (text, len(started) == 1)

    linux_ok = None
    results = []
    for lab in labs:
        scored = []
        for t in lab["test"]:
            if "unit" in t:
                res = unit_results.get(t["unit"], {})
                ok = all(res.get(c, False) for c in t["cases"])
            elif "vm" in t:
                ok = score_vm_test(t, boots)
            else:
                if linux_ok is None:
                    linux_ok = boot_linux(workdir / "linux")
                ok = linux_ok
            scored.append((t, t["points"] if ok else 0))
        results.append((lab, scored))
    return results


def report(results, all_labs, out=sys.stdout):
    total = total_max = 0
    for lab, scored in results:
        got = sum(p for _, p in scored)
        mx = sum(t["points"] for t, _ in scored)
        for t, p in scored:
            print(f"{t['name']}: {p}/{t['points']}", file=out)
        if all_labs:
            print(f"lab{lab['n']}: {got}/{mx}", file=out)
        total += got
        total_max += mx
    print(f"total: {total}/{total_max}", file=out)
    out.flush()


def main():
    ap = argparse.ArgumentParser(description="Keel's lab autograder")
    ap.add_argument("lab", help="lab number 1..8, or all")
    ap.add_argument("--build", action="store_true",
                    help="run make (all, unit, linux if needed) first")
    ap.add_argument("--json", help="also write the scores to this file")
    ap.add_argument("--workdir", help="scratch directory (default: "
                    "build/grade)")
    ap.add_argument("--boot-timeout", type=int)
    a = ap.parse_args()

    m = load_manifest()
    if a.lab == "all":
        labs = m["lab"]
    else:
        try:
            n = int(a.lab)
        except ValueError:
            n = -1
        labs = [lab for lab in m["lab"] if lab["n"] == n]
        if not labs:
            print(f"grade: LAB must be 1..{len(m['lab'])} or all, not "
                  f"{a.lab!r}", file=sys.stderr)
            return 2
    if a.build:
        build(labs)
    workdir = Path(a.workdir) if a.workdir else BUILD / "grade"
    results = grade(labs, m.get("vm", {}), workdir, a.boot_timeout)
    report(results, a.lab == "all")
    if a.json:
        Path(a.json).write_text(json.dumps({
            f"lab{lab['n']}": {t["name"]: [p, t["points"]] for t, p in s}
            for lab, s in results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
