"""Issue 3: a missing kernel, a corrupt bzImage and an initrd that does not
fit each give their message, and nothing hangs."""
import keelrun
from linuxguest import LINUX, linux_config, linux_files

FIRMWARE_BACK = r"BdsDxe: failed to start Boot\d+"


def test_missing_kernel(boot):
    files = {"EFI/keel/initrd.img": LINUX / "initrd.img"}
    con = boot(linux_config(), files)
    con.expect(r"keel: error: vm linux: kernel \\EFI\\keel\\vmlinuz: "
               r"EFI_NOT_FOUND")
    con.expect(FIRMWARE_BACK)


def test_corrupt_bzimage(boot, tmp_path):
    data = bytearray((LINUX / "vmlinuz").read_bytes()[:64 * 1024])
    data[0x202:0x206] = b"XXXX"          # the "HdrS" magic
    bad = tmp_path / "corrupt"
    bad.write_bytes(data)
    files = linux_files()
    files["EFI/keel/vmlinuz"] = bad
    con = boot(linux_config(), files)
    con.expect(r"keel: error: vm linux: linux \\EFI\\keel\\vmlinuz: "
               r"kernel: not a bzImage")
    con.expect(r"keel: 1 VM did not pass")
    assert con.wait_exit() == keelrun.EXIT_FAIL


def test_truncated_bzimage(boot, tmp_path):
    bad = tmp_path / "truncated"
    bad.write_bytes((LINUX / "vmlinuz").read_bytes()[:1024 * 1024])
    files = linux_files()
    files["EFI/keel/vmlinuz"] = bad
    con = boot(linux_config(), files)
    con.expect(r"keel: error: vm linux: linux \\EFI\\keel\\vmlinuz: "
               r"kernel: truncated")
    assert con.wait_exit() == keelrun.EXIT_FAIL


def test_initrd_too_big(boot, tmp_path):
    big = tmp_path / "big.img"
    big.write_bytes(b"\0" * (90 << 20))
    files = linux_files()
    files["EFI/keel/initrd.img"] = big
    con = boot(linux_config(memory="128M"), files)
    # The whole line, up to its reason, not just its start.
    con.expect(r"keel: error: vm linux: linux \\EFI\\keel\\vmlinuz: "
               r"initrd: 90 MiB does not fit[^\r\n]*guest RAM", timeout=120)
    assert con.wait_exit() == keelrun.EXIT_FAIL
