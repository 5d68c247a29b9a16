"""The layer rule of docs/architecture.md, checked by scripts/check_layers.py
over every #include: the tree is clean, the table in the docs names the
same folders as the script, and the checker does catch an include that
goes up a layer, a folder in no layer, a repeated basename and a header
that declares another unit's function."""
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location(
    "check_layers", ROOT / "scripts" / "check_layers.py")
check_layers = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_layers)


def test_tree_has_no_upward_include():
    errors = check_layers.check(ROOT)
    assert errors == [], "\n".join(errors)


def test_docs_table_matches_the_checker():
    """Every folder of the layer table in docs/architecture.md is in the
    script's LAYERS at the same rank, and the other way round."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| (\d) \| ([^|]+) \|", doc, re.M)
    assert rows, "no layer table in docs/architecture.md"
    documented = {}
    for rank, folders in rows:
        for f in re.findall(r"`([a-z0-9/_]+)/`", folders):
            documented[f] = int(rank)
    assert documented == check_layers.RANK


def write(root, path, text):
    p = root / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_checker_catches_violations(tmp_path):
    write(tmp_path, "lib/types.h", "")
    write(tmp_path, "hv/core/vm.h", '#include "lib/types.h"\n')
    write(tmp_path, "hv/dev/uart.c", '#include "hv/core/vm.h"\n')
    write(tmp_path, "hv/dev/vm.h", "")
    write(tmp_path, "hv/stray/x.c", "")
    write(tmp_path, "arch/x86/svm/run.asm", '%include "arch/x86/gprs.inc"\n')
    write(tmp_path, "mm/pt.asm", '%include "hv/core/vm.h"\n')
    write(tmp_path, "arch/x86/gprs.inc", "")
    errors = check_layers.check(tmp_path)
    text = "\n".join(errors)
    assert "hv/dev/uart.c: includes hv/core/vm.h: up from hv/dev to " \
        "hv/core" in text
    assert "hv/stray/x.c: folder hv/stray is in no layer" in text
    assert "same basename" in text and "vm.h" in text
    # NASM's %include is checked too: arch/x86/svm sits above arch/x86, so
    # its include of a file there goes down; mm/ is below hv/core
    assert "run.asm" not in text
    assert "mm/pt.asm: includes hv/core/vm.h: up from mm to hv/core" in text
    assert len(errors) == 4, text


def test_checker_catches_a_header_declaring_another_files_function(tmp_path):
    write(tmp_path, "hv/dev/vlapic.h",
          "int vlapic_a(int x);\nvoid vlapic_b(void);\n"
          "const char *route(const char *s, int (*f)(int));\n")
    write(tmp_path, "hv/dev/vlapic.c", "int vlapic_a(int x)\n{\n}\n")
    write(tmp_path, "hv/dev/vlapic_timer.c", "void vlapic_b(void)\n{\n}\n")
    write(tmp_path, "hv/dev/router.c",
          "const char *route(const char *s, int (*f)(int))\n{\n}\n")
    errors = check_layers.check(tmp_path)
    assert errors == ["hv/dev/vlapic.h: declares route, defined in "
                      "hv/dev/router.c (not its unit)"], errors
