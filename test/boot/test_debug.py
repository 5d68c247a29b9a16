"""Issue 6, "Debugging": what `make debug` (scripts/debug.py) does, in batch
form: QEMU with the gdbstub boots Keel, the image base is read from the
console, the machine is stopped through QMP, and gdb with the generated
script attaches, stops at exit_dispatch while Linux boots and reads Keel's
data through its symbols (the struct vcpu, its VM's name, exit counts)."""
import re
import subprocess
import sys

import keelrun
import pexpect
from console import Console, scaled
from linuxguest import linux_config, linux_files

sys.path.insert(0, str(keelrun.ROOT / "scripts"))
import debug  # noqa: E402

PORT = 12345 + 17     # not make debug's 1234, so both can run


def test_gdb_attaches_with_keels_symbols(tmp_path):
    esp = keelrun.make_esp(tmp_path, linux_config(), linux_files())
    cmd = debug.debug_command(esp, tmp_path, tmp_path / "serial.log",
                              tmp_path / "qmp.sock", interactive=False,
                              port=PORT)
    con = Console(cmd, cwd=tmp_path)
    try:
        # The space after the address: a line may arrive in pieces, and
        # a match at the end of what has arrived would cut the address.
        m = con.expect(r"keel: Keel hypervisor, image at (0x[0-9a-f]+) ",
                       timeout=60)
        base = int(m.group(1), 16)
        debug.qmp(tmp_path / "qmp.sock", "stop")
        script = tmp_path / "keel-gdb.gdb"
        script.write_text(debug.gdb_script(base, port=PORT))
        assert f"-o {base:#x}" in script.read_text()
        try:
            gdb = subprocess.run(
                ["gdb", "-nx", "-batch", "-x", str(script),
                 "-ex", "hbreak exit_dispatch", "-ex", "continue",
                 "-ex", "info symbol $pc",
                 "-ex", "print v->vm->name",
                 "-ex", "print/x v->state.rip",
                 "-ex", "keel-exits v",
                 "-ex", "kill"],
                capture_output=True, text=True, timeout=scaled(60))
        except subprocess.TimeoutExpired as e:
            # Say how far Keel got: the console shows whether the guest
            # ever ran (and so whether exit_dispatch could have been hit).
            con.child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=2)
            con.fail(f"gdb did not stop at exit_dispatch in {e.timeout:.0f} "
                     f"s; gdb said: {e.stdout!r} {e.stderr!r}")
        out = gdb.stdout + gdb.stderr
        assert re.search(r"exit_dispatch in section \.text", out), out
        assert re.search(r'\$\d+ = "linux"', out), out
        assert re.search(r"\$\d+ = 0x[0-9a-f]+", out), out
    finally:
        con.kill()
