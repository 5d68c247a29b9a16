"""Issue 10: typed input is never lost. 4 KiB typed in one burst, right
after the monitor was opened and closed, reaches the guest whole and in
order (count and SHA-256), however fast it arrives: Keel keeps what the
guest has no room for and reads the host UART only as fast as the guest
takes it (hv/machine/vconsole.c), so nothing overflows anywhere."""
import hashlib
import random
import re
import time

import keelrun
from console import Console
from linuxguest import PROMPT, linux_config, linux_files, sh, wait_shell

MONITOR_KEYS = "\x1dm"
MON_PROMPT = "keel-mon> "
BURST = 4096


def burst_text():
    """BURST bytes of printable lines (the tty's canonical mode takes
    lines), the same every run."""
    rnd = random.Random(10)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    out = ""
    while len(out) < BURST:
        out += "".join(rnd.choice(alphabet) for _ in range(63)) + "\n"
    return out[:BURST - 1] + "\n"


def test_4k_burst_right_after_the_monitor(boot):
    con = boot(linux_config(), linux_files())
    try:
        wait_shell(con)
        con.send(MONITOR_KEYS)
        con.expect(re.escape(MON_PROMPT), timeout=30)
        con.sendline("list")
        con.expect(re.escape(MON_PROMPT), timeout=30)
        con.sendline("resume")
        con.expect(r"keel: monitor: resuming the guests", timeout=30)

        data = burst_text()
        # head stops after exactly BURST bytes. The burst is typed in the
        # same write as the command line, before the guest has even
        # started head. The markers are split by '' on the echoed command
        # line so that only the printed ones match (linuxguest.sh).
        start = time.monotonic()
        con.send("echo @@BEG''IN@@; head -c %d > /tmp/burst; wc -c "
                 "< /tmp/burst; sha256sum /tmp/burst; echo @@EN''D@@\r"
                 % BURST + data)
        con.expect(r"@@BEGIN@@", timeout=30)
        con.expect(r"@@END@@", timeout=120)
        seconds = time.monotonic() - start
        # The guest's tty may print XOFF/XON (^S ^Q) as its input buffer
        # fills and drains (its flow control); they are not output.
        # Bytes that arrive after head started are echoed first; the last
        # three words are wc's and sha256sum's.
        out = re.sub(r"[\r\x11\x13]", "", con.child.before).split()
        digest = hashlib.sha256(data.encode()).hexdigest()
        assert out[-3:] == [str(BURST), digest, "/tmp/burst"], con.tail()
        print(f"\n4 KiB typed burst reached the guest in {seconds:.1f} s")
        con.expect(re.escape(PROMPT), timeout=30)
        out, rc = sh(con, "echo after-$((6 * 7))")
        assert rc == 0 and "after-42" in out, out
        con.sendline("poweroff")
        assert con.wait_exit(timeout=120) == keelrun.EXIT_PASS, con.tail()
    finally:
        con.kill()
