"""Issue 2: bad input before ExitBootServices is printed and returned to
the firmware; a payload that does not validate is refused with a clear
message while the other VMs still run."""
import keelrun
from conftest import MULTIBOOT_HEADER, TESTS, elf32_exec

GOOD = """[keel]
test-exit = yes
[vm good]
memory = 16M
format = multiboot
kernel = \\EFI\\keel\\cpuid.elf
"""
GOOD_FILES = {"EFI/keel/cpuid.elf": TESTS / "cpuid.elf"}

# OVMF's boot manager reports the failed boot option and moves on.
FIRMWARE_BACK = r"BdsDxe: failed to start Boot\d+"


def test_bad_config_line_names_line_and_returns(boot):
    con = boot(GOOD + "colour = blue\n", GOOD_FILES)
    con.expect(r"keel: error: keel\.cfg:7: unknown key 'colour'")
    con.expect(FIRMWARE_BACK)


def test_bad_config_value(boot):
    con = boot(GOOD.replace("16M", "3M"), GOOD_FILES)
    con.expect(r"keel: error: keel\.cfg:4: memory must be a multiple of "
               r"2 MiB: '3M'")
    con.expect(FIRMWARE_BACK)


def test_missing_config(boot):
    con = boot(None)
    con.expect(r"keel: error: \\EFI\\keel\\keel\.cfg: EFI_NOT_FOUND")
    con.expect(FIRMWARE_BACK)


def test_missing_kernel_file(boot):
    con = boot(GOOD.replace("cpuid.elf", "nothere.elf"), GOOD_FILES)
    con.expect(r"keel: error: vm good: kernel \\EFI\\keel\\nothere\.elf: "
               r"EFI_NOT_FOUND")
    con.expect(FIRMWARE_BACK)


def test_payloads_that_do_not_validate(boot, tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"this is not a kernel\n" * 100)
    outside = tmp_path / "outside.elf"
    outside.write_bytes(elf32_exec(
        [(0x40000000, MULTIBOOT_HEADER + b"\xf4" * 64, 4096)], 0x40000000))
    cfg = GOOD + """
[vm garbage]
memory = 16M
format = multiboot
kernel = \\EFI\\keel\\garbage.bin

[vm outside]
memory = 16M
format = multiboot
kernel = \\EFI\\keel\\outside.elf
"""
    files = dict(GOOD_FILES)
    files["EFI/keel/garbage.bin"] = garbage
    files["EFI/keel/outside.elf"] = outside
    con = boot(cfg, files)
    con.expect(r"keel: error: vm garbage: multiboot \\EFI\\keel\\garbage\.bin: "
               r"no Multiboot header")
    con.expect(r"keel: error: vm outside: multiboot \\EFI\\keel\\outside\.elf: "
               r"segment at 0x40000000 \(4096 bytes\) is outside guest RAM")
    # The good VM still runs to its end; Keel reports two VMs not created.
    con.expect(r"keel: vm good: ended as expected", timeout=60)
    con.expect(r"keel: 2 VMs did not pass")
    assert con.wait_exit() == keelrun.EXIT_FAIL
