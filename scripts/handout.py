#!/usr/bin/env python3
"""Write a student tree for one lab from the tree that passes `make test`.

    scripts/handout.py LAB OUT      write OUT (make handout LAB=n OUT=dir)
    scripts/handout.py --list       list every marked region
    scripts/handout.py --check      check the markers only (exit 1 on error)

Lab markers (docs/labs/README.md) wrap solution code in C sources:

    /* LAB 4 BEGIN: walk the nested page table */
    ...solution lines...
    /* LAB 4 STUB
    return -ENOENT;
    */
    /* LAB 4 END */

In the full tree the STUB block is only a comment, so the markers change
nothing. In the handout for lab n every region of lab n and of later labs
keeps its BEGIN and END lines but its solution lines are replaced by the
stub lines (or by nothing when there is no STUB block); regions of earlier
labs stay solved. The tree copied is every file git tracks plus untracked
files that .gitignore does not exclude (work in progress of other
engineers that the tracked files may already use). Python 3 stdlib only.
"""
import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NR_LABS = 10

MARK = re.compile(r"^\s*/\*\s*LAB\s+(\d+)\s+(BEGIN|STUB|END)\b(.*)$")
# Only these files may hold markers (C sources and headers).
MARKED_SUFFIXES = (".c", ".h")


class MarkerError(Exception):
    pass


class Region:
    def __init__(self, path, lab, title, begin):
        self.path, self.lab, self.title = path, lab, title
        self.begin = begin          # 0-based line index of BEGIN
        self.stub_start = None      # index of the STUB line
        self.stub_end = None        # index of the line closing the STUB
        self.end = None             # index of END

    def where(self):
        return f"{self.path}:{self.begin + 1}"


def parse(path, lines):
    """The regions of one file, in order. Raises MarkerError on a bad
    marker: nesting, a STUB outside a region, a region left open, a STUB
    comment without its closing line, or a lab number out of range."""
    regions, cur, in_stub = [], None, False
    for i, line in enumerate(lines):
        if in_stub:
            if "/*" in line:
                raise MarkerError(f"{path}:{i + 1}: '/*' inside a STUB block")
            if line.strip() == "*/":
                cur.stub_end = i
                in_stub = False
            elif "*/" in line:
                raise MarkerError(f"{path}:{i + 1}: a STUB block ends with "
                                  "a line holding only '*/'")
            continue
        m = MARK.match(line)
        if not m:
            if cur is None and re.search(r"\bLAB\s+\d+\s+(BEGIN|STUB|END)\b",
                                         line):
                raise MarkerError(f"{path}:{i + 1}: malformed lab marker")
            continue
        lab, kind, rest = int(m.group(1)), m.group(2), m.group(3)
        if not 1 <= lab <= NR_LABS:
            raise MarkerError(f"{path}:{i + 1}: lab {lab} is not 1..{NR_LABS}")
        if kind == "BEGIN":
            if cur is not None:
                raise MarkerError(f"{path}:{i + 1}: LAB {lab} BEGIN inside "
                                  f"the region opened at {cur.where()}")
            if not rest.rstrip().endswith("*/"):
                raise MarkerError(f"{path}:{i + 1}: BEGIN must be a one-line "
                                  "comment")
            title = rest.strip().rstrip("*/").strip().lstrip(":").strip()
            if not title:
                raise MarkerError(f"{path}:{i + 1}: BEGIN needs a title "
                                  "(LAB n BEGIN: what to write)")
            cur = Region(path, lab, title, i)
        elif cur is None or cur.lab != lab:
            raise MarkerError(f"{path}:{i + 1}: LAB {lab} {kind} outside a "
                              f"LAB {lab} region")
        elif kind == "STUB":
            if cur.stub_start is not None:
                raise MarkerError(f"{path}:{i + 1}: second STUB in the region "
                                  f"at {cur.where()}")
            if rest.strip():
                raise MarkerError(f"{path}:{i + 1}: the STUB line holds "
                                  "nothing after 'STUB'")
            cur.stub_start = i
            in_stub = True
        else:  # END
            if not rest.rstrip().endswith("*/"):
                raise MarkerError(f"{path}:{i + 1}: END must be a one-line "
                                  "comment")
            if cur.stub_start is not None and i != cur.stub_end + 1:
                raise MarkerError(f"{path}:{i + 1}: the STUB block must come "
                                  "last, just before END")
            cur.end = i
            regions.append(cur)
            cur = None
    if in_stub:
        raise MarkerError(f"{path}: STUB block at line {cur.stub_start + 1} "
                          "is never closed")
    if cur is not None:
        raise MarkerError(f"{path}: region at {cur.where()} has no END")
    return regions


def stubbed(lines, regions, lab):
    """lines with every region of lab >= `lab` replaced by its stub."""
    out, pos = [], 0
    for r in regions:
        if r.lab < lab:
            continue
        out += lines[pos:r.begin + 1]           # up to and with BEGIN
        if r.stub_start is not None:
            out += lines[r.stub_start + 1:r.stub_end]
        out.append(lines[r.end])
        pos = r.end + 1
    return out + lines[pos:]


def tree_files(root):
    """Tracked files plus untracked, not ignored ones, as relative paths
    that exist in the working tree."""
    r = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached",
                        "--others", "--exclude-standard"],
                       capture_output=True, check=True)
    names = sorted({n for n in r.stdout.decode().split("\0") if n})
    return [n for n in names if (root / n).is_file()]


def all_regions(root, files):
    regions = {}
    for name in files:
        if not name.endswith(MARKED_SUFFIXES):
            continue
        text = (root / name).read_text(errors="surrogateescape")
        if "LAB" not in text:
            continue
        found = parse(name, text.splitlines(keepends=True))
        if found:
            regions[name] = found
    return regions


def write_handout(root, lab, out):
    files = tree_files(root)
    regions = all_regions(root, files)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"handout: {out} exists and is not empty")
    count = 0
    for name in files:
        src, dst = root / name, out / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if name in regions:
            lines = src.read_text(errors="surrogateescape").splitlines(
                keepends=True)
            dst.write_text("".join(stubbed(lines, regions[name], lab)),
                           errors="surrogateescape")
            shutil.copymode(src, dst)
            count += sum(1 for r in regions[name] if r.lab >= lab)
        else:
            shutil.copy2(src, dst)
    (out / ".keel-handout").write_text(f"lab = {lab}\n")
    print(f"handout: lab {lab} tree in {out} ({len(files)} files, "
          f"{count} regions stubbed)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lab", nargs="?", type=int)
    ap.add_argument("out", nargs="?")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--root", default=str(ROOT))
    a = ap.parse_args()
    root = Path(a.root)
    try:
        if a.list or a.check:
            regions = all_regions(root, tree_files(root))
            labs = set()
            for name in sorted(regions):
                for r in regions[name]:
                    labs.add(r.lab)
                    if a.list:
                        stub = "stub" if r.stub_start is not None else "empty"
                        print(f"lab {r.lab}  {r.where():34} {stub:5}  {r.title}")
            missing = sorted(set(range(1, NR_LABS + 1)) - labs)
            if missing:
                print(f"handout: no regions for lab(s) {missing}",
                      file=sys.stderr)
                return 1
            return 0
        if a.lab is None or not a.out:
            ap.error("usage: handout.py LAB OUT (or --list / --check)")
        if not 1 <= a.lab <= NR_LABS:
            ap.error(f"LAB must be 1..{NR_LABS}")
        write_handout(root, a.lab, a.out)
    except MarkerError as e:
        print(f"handout: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
