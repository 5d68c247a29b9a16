#!/usr/bin/env python3
"""Keel's lab autograder: `make grade LAB=n` (docs/labs/README.md).

    test/labs/grade.py [--build] [--vendor svm|vmx] [--format F --out PATH] LAB
                                                         LAB: 1..8 or all

Runs the lab's tests from test/labs/labs.toml and prints, on stdout, one
line per test and a total, each `name: points/max`:

    lab4-pt-lookup: 2/2
    lab4-mmio-hole: 0/3
    total: 2/10

With LAB=all every lab's tests run (one shared boot for all guests, one
run of each unit-test binary) and a `labN: points/max` line follows each
lab. Build output and diagnostics go to stderr, so stdout holds only score
lines; for every test that lost points stderr says why, in a student's
words (the line the guest should have printed and what it printed last,
the unit-test case that failed, how Keel said the VM ended).

--vendor vmx boots the lab guests under Bochs with an Intel CPU model
(VMX + EPT) instead of QEMU TCG with SVM; unit tests are vendor-neutral and
lab 7's Linux boot stays on QEMU (it needs minutes under Bochs).

--format gradescope --out results.json writes Gradescope's autograder
results (score, and per test name, score, max_score, output, visibility);
--format junit --out report.xml a JUnit XML report (one testsuite per lab,
a failure element with the reason for each test that lost points), which
GitHub Classroom, GitLab CI and Jenkins show per test. The text lines go
to stdout either way. The grader never fails because the code under test does: a binary
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
import tempfile
import tomllib
from pathlib import Path
from xml.etree import ElementTree

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
    """({case: passed}, {case: cmocka's report of its failed checks},
    output, problem) for one cmocka binary: problem is "" or why no case
    could pass (not built, hung). cmocka writes a JUnit report per run
    (CMOCKA_MESSAGE_OUTPUT=xml), which ties each failed check to its case;
    a binary that crashes before writing it is run again for its plain
    output, and its cases counted from that."""
    path = BUILD / "unit" / binary
    if not path.exists():
        log(f"{path} was not built")
        return {}, {}, "", (f"the unit tests build/unit/{binary} were not "
                            "built (a compile error? see the build output)")
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        report = Path(tmp) / f"{binary}.xml"
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="xml",
                   CMOCKA_XML_FILE=str(report))
        try:
            r = subprocess.run([str(path)], cwd=ROOT, capture_output=True,
                               text=True, errors="replace", timeout=timeout,
                               env=env)
            if not report.exists():
                r = subprocess.run([str(path)], cwd=ROOT,
                                   capture_output=True, text=True,
                                   errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{binary} timed out after {timeout} s")
            return {}, {}, "", (f"build/unit/{binary} did not finish in "
                                f"{timeout} s (an endless loop?)")
        out = r.stdout + r.stderr
        cases, details = {}, {}
        if report.exists():
            for case in ElementTree.parse(report).getroot().iter("testcase"):
                bad = case.findall("failure") + case.findall("error")
                cases[case.get("name")] = not bad
                if bad:
                    details[case.get("name")] = "\n".join(
                        (b.text or b.get("message") or "").strip()
                        for b in bad)
        else:
            cases = {name: kind == "OK"
                     for kind, name in CASE_RE.findall(out)}
    return cases, details, out, ""


def last_lines(text, n=8, width=160):
    """The last n non-empty lines of text, indented; control characters
    shown as '?' and each line cut to width (a guest may print binary)."""
    lines = []
    for l in text.splitlines():
        l = "".join(c if c.isprintable() else "?" for c in l).rstrip()
        if l.strip("? "):
            lines.append(l if len(l) <= width else l[:width] + " ...")
    return "\n".join("    " + l for l in lines[-n:]) or "    (nothing)"


def unit_verdict(t, res):
    """(passed, why) of a unit test against run_unit()'s result."""
    cases, details, out, problem = res
    if problem:
        return False, problem
    failed = [c for c in t["cases"] if not cases.get(c, False)]
    if not failed:
        return True, ""
    why = [f"{len(failed)} of {len(t['cases'])} unit-test cases failed"]
    for c in failed:
        if c not in cases:
            why.append(f"case {c} of build/unit/{t['unit']} did not run "
                       "(the binary crashed before it?)")
            why.append(last_lines(out, 6))
        else:
            why.append(f"case {c} of build/unit/{t['unit']} FAILED")
            # cmocka's report: the check that failed and its file:line.
            for l in (details.get(c) or "").splitlines()[:6]:
                why.append("    " + l.strip())
    return False, "\n".join(why)


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


def boot_vms(vms, names, workdir, timeout, vendor="svm"):
    """Boot every VM in `names` under Keel once: on QEMU TCG with SVM, or
    with vendor "vmx" under Bochs with an Intel CPU model (VMX + EPT).
    Returns the console text (whatever was printed before the end, a panic
    or the timeout) and the VMs started."""
    cfg, files, started = vm_config(vms, names)
    if not started:
        return "", started
    workdir.mkdir(parents=True, exist_ok=True)
    esp = keelrun.make_esp(workdir, cfg, files)
    if vendor == "vmx":
        con = keelrun.bochs_console(esp, workdir, keelrun.BOCHS_VMX_CPU)
    else:
        con = Console(keelrun.qemu_command(esp, workdir), cwd=workdir)
    from console import TIMEOUT_SCALE, scaled
    log(f"booting {', '.join(names)} under {vendor.upper()}; waiting at "
        f"most {scaled(timeout):.0f} s for them to end (a guest that hangs "
        f"costs that long; {timeout} s stretched x{TIMEOUT_SCALE:.1f} for "
        "the machine's load, the 'scale' of a timeout message)")
    try:
        con.expect(r"keel: all VMs have ended|FATAL", timeout=timeout)
        con.wait_exit(timeout=30)
    except AssertionError as e:
        log(str(e).splitlines()[0])
    finally:
        con.kill()
    return con.text(), started


def boot_linux(workdir, timeout=300):
    """(passed, why): does Debian's kernel reach its busybox shell under
    Keel and run a command there?"""
    from linuxguest import linux_config, linux_files, wait_shell, sh
    for src in linux_files().values():
        if not Path(src).exists():
            log(f"{src} is missing (make linux)")
            return False, f"{src} is missing: run make linux"
    workdir.mkdir(parents=True, exist_ok=True)
    esp = keelrun.make_esp(workdir, linux_config(), linux_files())
    con = Console(keelrun.qemu_command(esp, workdir), cwd=workdir)
    from console import scaled
    log(f"booting Linux under Keel; waiting at most {scaled(timeout):.0f} s "
        "for its shell")
    try:
        wait_shell(con, timeout=timeout)
        out, rc = sh(con, "echo lab7 $((6 * 7))")
        if rc == 0 and "lab7 42" in out:
            return True, ""
        return False, ("Linux's shell did not answer `echo lab7 $((6 * 7))` "
                       f"with lab7 42 (it printed {out!r})")
    except AssertionError as e:
        log(str(e).splitlines()[0])
        return False, ("Linux did not reach its shell under Keel. Last "
                       f"console lines:\n{last_lines(con.text(), 12)}")
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


def vm_end_line(text, name):
    """How Keel said VM `name` ended (after the entry checks it logged as
    failing, if any), or what it printed last."""
    checks = [l for l in text.splitlines()
              if "check failed" in l and l.startswith("keel: error:")]
    for l in text.splitlines():
        if l.startswith(f"keel: vm {name}: ended"):
            return "\n".join(checks[:4] + [l])
    for l in text.splitlines():
        if "FATAL" in l or "panic" in l:
            return f"Keel stopped: {l}"
    return "Keel never said this VM ended (a hang or a timeout)"


def guest_lines(text, name, alone):
    """The guest's own lines, in order: prefixed with [name], or when it
    was alone on the console, every line after Keel took over from the
    firmware that is not Keel's."""
    lines = text.splitlines()
    if alone:
        start = next((i for i, l in enumerate(lines)
                      if "hypervisor core starting" in l), 0)
        lines = lines[start:]
    return [l for l in lines if l.startswith(f"[{name}] ") or
            (alone and not l.startswith(("keel:", " ")))]


def score_vm_test(t, boots):
    """(passed, why) of a test on the guest lines and Keel log of a boot."""
    name = t["vm"]
    if name not in boots:
        return False, (f"VM {name} was not started: its guest was not built "
                       "or Keel did not boot (see the build output)")
    text, alone = boots[name]
    if "lines" in t:
        got = vm_lines(text, name, alone)
        missing = [l for l in t["lines"] if l not in got]
        if missing:
            printed = guest_lines(text, name, alone)
            return False, (f"the guest {name} did not print "
                           f"\"{missing[0]}\"\n"
                           f"It printed last:\n"
                           f"{last_lines(chr(10).join(printed))}\n"
                           f"{vm_end_line(text, name)}")
    if "log" in t:
        missing = [s for s in t["log"] if s not in text]
        if missing:
            return False, (f"Keel's log does not say \"{missing[0]}\"\n"
                           f"{vm_end_line(text, name)}\nLast console lines:\n"
                           f"{last_lines(text)}")
    if t.get("ended") and f"keel: vm {name}: ended as expected" not in text:
        why = f"VM {name} did not end as expected: {vm_end_line(text, name)}"
        failed = [l for l in guest_lines(text, name, alone)
                  if l.rstrip().endswith("FAILED")]
        if failed:
            # Lab and test guests end with the number of their failed
            # checks as the debug-exit status (guest/tests/lib.inc).
            why += ("\nThe guest's exit status counts its checks that "
                    "FAILED:\n" + last_lines("\n".join(failed)))
        return False, why
    return True, ""


# ---- the run ------------------------------------------------------------

def grade(labs, vms, workdir, boot_timeout=None, vendor="svm"):
    """Run the tests of `labs`; returns [(lab, [(test, points, why)])],
    why being "" for a test with full points."""
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
        timeout = boot_timeout or (45 + 10 * len(batch) if vendor == "svm"
                                   else 300 + 30 * len(batch))
        text, started = boot_vms(vms, batch, workdir / f"vms{i}", timeout,
                                 vendor)
        for name in started:
            boots[name] = (text, len(started) == 1)

    linux = None
    results = []
    for lab in labs:
        scored = []
        for t in lab["test"]:
            if "unit" in t:
                ok, why = unit_verdict(t, unit_results[t["unit"]])
            elif "vm" in t:
                ok, why = score_vm_test(t, boots)
            else:
                if linux is None:
                    if vendor == "vmx":
                        # Linux needs about 4 minutes to its shell under
                        # Bochs VMX: lab 7 is graded on SVM (lab7 handout).
                        log("the Linux boot is graded on QEMU SVM, also "
                            "with VENDOR=vmx (too slow under Bochs)")
                    # Linux reaches its shell in about 15 s on QEMU; a
                    # loader bug (no command line: no console) shows
                    # nothing at all, so the budget is what costs.
                    linux = boot_linux(workdir / "linux",
                                       boot_timeout or 150)
                ok, why = linux
            scored.append((t, t["points"] if ok else 0, why))
        results.append((lab, scored))
    return results


def report(results, all_labs, out=sys.stdout):
    """The score lines on out; why each failed test failed on stderr."""
    total = total_max = 0
    for lab, scored in results:
        got = sum(p for _, p, _ in scored)
        mx = sum(t["points"] for t, _, _ in scored)
        for t, p, why in scored:
            print(f"{t['name']}: {p}/{t['points']}", file=out)
            if why:
                print(f"grade: {t['name']} lost {t['points'] - p} "
                      f"point(s): {why}", file=sys.stderr)
        if all_labs:
            print(f"lab{lab['n']}: {got}/{mx}", file=out)
        total += got
        total_max += mx
    print(f"total: {total}/{total_max}", file=out)
    out.flush()


def gradescope(results):
    """Gradescope's results.json ("Autograder Specifications": top-level
    score, output and tests, each test with name, score, max_score, output
    and visibility)."""
    tests = []
    for lab, scored in results:
        for t, p, why in scored:
            tests.append({
                "name": f"lab{lab['n']}: {t['name']}",
                "score": p,
                "max_score": t["points"],
                "output": why or "passed",
                "visibility": "visible",
            })
    return {
        "score": sum(t["score"] for t in tests),
        "output": "Keel lab autograder (docs/labs/README.md)",
        "visibility": "visible",
        "stdout_visibility": "visible",
        "tests": tests,
    }


def junit(results):
    """A JUnit XML report: <testsuites>, a <testsuite> per lab, a
    <testcase> per test, with <failure> when it lost points (the order of
    the Ant JUnit schema: failure, then system-out, which carries the
    points so per-test scores survive)."""
    from xml.sax.saxutils import escape, quoteattr
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for lab, scored in results:
        fails = sum(1 for t, p, _ in scored if p < t["points"])
        out.append(f'  <testsuite name="lab{lab["n"]}" tests="{len(scored)}" '
                   f'failures="{fails}" errors="0" skipped="0">')
        for t, p, why in scored:
            out.append(f'    <testcase classname="lab{lab["n"]}" '
                       f'name={quoteattr(t["name"])} time="0">')
            if p < t["points"]:
                first = why.splitlines()[0] if why else "lost points"
                out.append(f"      <failure message={quoteattr(first)}>"
                           f"{escape(why)}</failure>")
            out.append(f"      <system-out>points {p}/{t['points']}"
                       "</system-out>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="Keel's lab autograder")
    ap.add_argument("lab", help="lab number 1..8, or all")
    ap.add_argument("--build", action="store_true",
                    help="run make (all, unit, linux if needed) first")
    ap.add_argument("--json", help="also write the scores to this file")
    ap.add_argument("--format", choices=("text", "gradescope", "junit"),
                    default="text", help="also write Gradescope's "
                    "results.json or a JUnit XML report to --out")
    ap.add_argument("--out", help="where --format writes")
    ap.add_argument("--workdir", help="scratch directory (default: "
                    "build/grade)")
    ap.add_argument("--boot-timeout", type=int)
    ap.add_argument("--vendor", choices=("svm", "vmx"), default="svm",
                    help="svm: the guests on QEMU TCG (default); vmx: "
                    "under Bochs with an Intel CPU model")
    a = ap.parse_args()

    if a.format != "text" and not a.out:
        print("grade: --format gradescope/junit needs --out PATH "
              "(make grade ... OUT=path)", file=sys.stderr)
        return 2
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
    results = grade(labs, m.get("vm", {}), workdir, a.boot_timeout,
                    a.vendor)
    report(results, a.lab == "all")
    if a.json:
        Path(a.json).write_text(json.dumps({
            f"lab{lab['n']}": {t["name"]: [p, t["points"]] for t, p, _ in s}
            for lab, s in results}, indent=1) + "\n")
    if a.format == "gradescope":
        Path(a.out).write_text(json.dumps(gradescope(results), indent=1) +
                               "\n")
    elif a.format == "junit":
        Path(a.out).write_text(junit(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
