"""Issue 11, "an MSR policy from one table": the fixed-value decisions of
hv/exit/msr.c (`msr_fixed[]`) and the table "Fixed values" in
docs/platform.md must list the same MSRs, so the documented policy is the
one Keel runs. MSR names are resolved through arch/x86/msr_index.h; the
docs give each MSR (or the first of a range) as a hex number."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def msr_numbers():
    """{name: number} from arch/x86/msr_index.h."""
    text = (ROOT / "arch" / "x86" / "msr_index.h").read_text()
    return {m.group(1): int(m.group(2), 16) for m in
            re.finditer(r"#define (MSR_\w+)\s+0x([0-9a-fA-F]+)", text)}


def code_ranges():
    """[(first, last)] of every msr_fixed[] entry."""
    names = msr_numbers()
    src = (ROOT / "hv" / "exit" / "msr.c").read_text()
    table = re.search(r"msr_fixed\[\] = \{(.*?)\n\};", src, re.S).group(1)
    ranges = []
    for entry in re.findall(r"\{ *(ONE\(\w+\)|\.first = \w+, \.last = \w+)",
                            table):
        found = re.findall(r"(MSR_\w+)", entry)
        first, last = names[found[0]], names[found[-1]]
        ranges.append((first, last))
    return ranges


def doc_numbers():
    """The hex MSR numbers in the rows of the fixed-value table, except
    rows whose read column is #GP: MSRs that do not exist fall to the
    "everything else" rule and need no entry."""
    doc = (ROOT / "docs" / "platform.md").read_text()
    section = doc[doc.index("* Fixed values:"):]
    section = section[:section.index("* Everything else")]
    numbers = set()
    for row in re.findall(r"^\| (.+?) \| (.+?) \| (.+?) \|", section, re.M):
        what, read, _ = row
        if what.strip() in ("MSR", "---") or read.strip() == "#GP":
            continue
        numbers |= {int(h, 16) for h in re.findall(r"0x([0-9A-Fa-f]+)",
                                                    what)}
    return numbers


def test_every_table_entry_is_documented():
    docs = doc_numbers()
    for first, last in code_ranges():
        assert first in docs, f"MSR {first:#x} of msr_fixed[] is not in " \
                              "docs/platform.md's fixed-value table"
        assert last in docs, f"the end {last:#x} of the msr_fixed[] " \
                             f"range from {first:#x} is not documented"


def test_every_documented_msr_is_in_the_table():
    ranges = code_ranges()
    for n in doc_numbers():
        assert any(first <= n <= last for first, last in ranges), \
            f"docs/platform.md lists MSR {n:#x}, msr_fixed[] has no entry"
