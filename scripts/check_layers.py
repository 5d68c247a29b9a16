#!/usr/bin/env python3
"""Keel's layer rule, checked over every `#include "..."` and `%include`.

A folder is a layer (docs/architecture.md, "Layers"). An include may go
sideways (same layer) or down, never up. Also checked: no two source files
share a basename, every source file sits in a folder the table names, and
a header declares only functions of its own unit: x.h those defined in x.c
or x_*.c beside it (vlapic.h: vlapic.c, vlapic_regs.c, vlapic_timer.c),
except in the folders that are one unit with a shared header.

Usage: scripts/check_layers.py [root]   exit status 0 when clean, 1 with one
line per violation otherwise.
"""
import re
import sys
from pathlib import Path

# Top to bottom. Keep in step with the table in docs/architecture.md.
LAYERS = [
    ("boot",), ("hv",),
    ("hv/exit", "hv/machine", "hv/debug", "arch/x86/svm", "arch/x86/vmx"),
    ("hv/core",),
    ("hv/dev", "hv/virtio", "hv/net", "hv/loader", "hv/emulate", "hv/acpi"),
    ("arch/x86", "drivers", "mm"),
    ("lib",),
]
RANK = {folder: len(LAYERS) - i for i, group in enumerate(LAYERS)
        for folder in group}
SOURCE = (".c", ".h", ".asm", ".inc")
# Folders that are one unit: any of their headers may declare any of their
# functions (the emulator's public and internal headers, a vendor's code
# behind svm.h/vmx.h, the UEFI loader behind boot.h).
FOLDER_UNITS = {"hv/emulate", "arch/x86/svm", "arch/x86/vmx", "boot"}
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
PROTOTYPE = re.compile(r"^(?!static|typedef|extern|#)[A-Za-z_][\w \*]*?\b"
                       r"(\w+)\([^;{}()]*(?:\([^()]*\)[^;{}()]*)*\)\s*"
                       r"(?:PRINTF\([^)]*\)\s*)?;", re.M)
DEFINITION = re.compile(r"^(?!static)[A-Za-z_][\w \*]*?\b(\w+)\("
                        r"[^;{}]*\)\s*\{", re.M)
ASM_GLOBAL = re.compile(r"^\s*global\s+(\w+)", re.M)
INCLUDE = re.compile(r'^\s*[#%]\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """The rank of the folder holding path (relative), or None."""
    return RANK.get(str(Path(path).parent))


def definitions(root, sources):
    """Function name -> the source files (relative) that define it."""
    where = {}
    for src in sources:
        text = (root / src).read_text()
        if src.suffix == ".c":
            names = DEFINITION.findall(COMMENT.sub("", text))
        elif src.suffix == ".asm":
            names = ASM_GLOBAL.findall(text)
        else:
            continue
        for name in names:
            where.setdefault(name, []).append(src)
    return where


def own_unit(header, src):
    """Is src (a .c/.asm) in header's unit?"""
    if src.parent != header.parent:
        return False
    if str(header.parent) in FOLDER_UNITS:
        return True
    return src.stem == header.stem or src.stem.startswith(header.stem + "_")


def check_headers(root, sources):
    errors = []
    where = definitions(root, sources)
    for h in (s for s in sources if s.suffix == ".h"):
        body = COMMENT.sub("", (root / h).read_text())
        for name in PROTOTYPE.findall(body):
            defs = where.get(name, [])
            if defs and not any(own_unit(h, d) for d in defs):
                errors.append(f"{h}: declares {name}, defined in "
                              f"{', '.join(map(str, defs))} (not its unit)")
    return errors


def check(root):
    root = Path(root)
    errors = []
    sources = sorted(p.relative_to(root) for p in root.rglob("*")
                     if p.suffix in SOURCE and p.is_file()
                     and str(p.relative_to(root)).split("/")[0] in
                     {"boot", "hv", "arch", "drivers", "mm", "lib"})
    seen = {}
    for src in sources:
        if layer_of(src) is None:
            errors.append(f"{src}: folder {src.parent} is in no layer "
                          "(scripts/check_layers.py LAYERS)")
            continue
        other = seen.setdefault(src.name, src)
        if other != src:
            errors.append(f"{src}: same basename as {other}")
        for m in INCLUDE.finditer((root / src).read_text()):
            target = Path(m.group(1))     # from the root: -I. everywhere
            rank = layer_of(target)
            if rank is None:
                errors.append(f"{src}: includes {target}, which is in no "
                              "layer")
            elif rank > layer_of(src):
                errors.append(f"{src}: includes {target}: up from "
                              f"{src.parent} to {target.parent}")
    return errors + check_headers(root, sources)


def main():
    errors = check(sys.argv[1] if len(sys.argv) > 1 else
                   Path(__file__).resolve().parents[1])
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
