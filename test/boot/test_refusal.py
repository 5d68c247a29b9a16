"""A CPU without usable hardware virtualization is refused (issue 14):
under QEMU TCG with `-cpu qemu64,-svm` (neither SVM nor VMX) Keel prints
one error naming the firmware settings to change, does not exit boot
services, and returns to the firmware: OVMF reports that the boot option
failed with Keel's EFI_UNSUPPORTED and goes on to its next one, the UEFI
Shell, whose `reset -s` powers the machine off, so QEMU ends with status 0.
The unit test test/unit/test_virt_check.c covers every case of the
decision (VMX locked off, SVMDIS, no NPT, neither)."""
import re
import time

import keelrun
from console import Console


def test_no_svm_no_vmx_is_refused_and_returns_to_firmware(tmp_path):
    # Any configuration: the check comes before keel.cfg is read.
    esp = keelrun.make_esp(tmp_path, "[vm x]\nkernel = \\EFI\\keel\\x.elf\n")
    con = Console(keelrun.qemu_command(esp, tmp_path, cpu="qemu64,-svm"),
                  cwd=tmp_path)
    try:
        start = time.monotonic()
        con.expect(r"keel: Keel hypervisor, image at", timeout=120)
        # Up to the end of the line: under load a line arrives in pieces.
        m = con.expect(r"keel: error: cannot start: ([^\r\n]*)\r*\n",
                       timeout=30)
        why = m.group(1)
        assert "neither Intel VT-x (VMX) nor AMD-V (SVM)" in why, why
        assert '"Intel Virtualization Technology"' in why, why
        assert '"SVM Mode"' in why, why
        con.expect(r"keel: returning to the firmware", timeout=30)
        # The firmware has control again, with Keel's status.
        con.expect(r"BdsDxe: failed to start Boot\w+ [^\r\n]*: Unsupported",
                   timeout=30)
        refused = time.monotonic() - start
        con.expect(r"Shell> ", timeout=60)
        text = con.text()
        assert len(re.findall(r"keel: error", text)) == 1, con.tail()
        assert "boot services exited" not in text, con.tail()
        assert "keel: SVM" not in text and "keel: VMX" not in text
        print(f"\nrefusal: back in the firmware {refused:.1f} s after QEMU "
              "started")
        con.sendline("reset -s")
        assert con.wait_exit(timeout=60) == 0, con.tail()
    finally:
        con.kill()
