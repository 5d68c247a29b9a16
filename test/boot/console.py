"""A serial console under test: pexpect around QEMU (or Bochs) whose every
wait has a timeout, and whose failures show the last console lines.

Every timeout a test passes is multiplied by TIMEOUT_SCALE, so the suite
holds on a busy machine: KEEL_TIMEOUT_SCALE=3 (what `make test-load`
sets), or, unset, 1 plus the 1-minute load average per CPU beyond the
test's own (measured once when the tests start), at most 4. The timeouts
are written for an idle 2-core machine with room to spare; a scale keeps
them meaningful (a real hang still fails, later) instead of raising them
all."""
import io
import os
import re

import pexpect

TAIL_LINES = 40


def _timeout_scale():
    env = os.environ.get("KEEL_TIMEOUT_SCALE")
    if env:
        return max(1.0, float(env))
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        return 1.0
    return min(4.0, max(1.0, 1.0 + load - 0.5))


TIMEOUT_SCALE = _timeout_scale()


def scaled(seconds):
    """A timeout in seconds, stretched for the machine's load."""
    return seconds * TIMEOUT_SCALE


class Console:
    def __init__(self, cmd, cwd=None, logname=None, env=None):
        self.log = io.StringIO()
        self.child = pexpect.spawn(cmd[0], list(cmd[1:]), cwd=cwd, env=env,
                                   encoding="utf-8", codec_errors="replace",
                                   timeout=30, maxread=65536)
        self.child.logfile_read = self.log
        self.logname = logname

    def text(self):
        """Everything read so far, ANSI escapes and CRs removed."""
        raw = self.log.getvalue()
        raw = re.sub(r"\x1b\[[0-9;=?]*[A-Za-z]", "", raw)
        return raw.replace("\r", "")

    def tail(self, n=TAIL_LINES):
        return "\n".join(self.text().splitlines()[-n:])

    def fail(self, what):
        raise AssertionError(f"{what}\n--- last {TAIL_LINES} console lines ---\n"
                             f"{self.tail()}")

    def expect(self, pattern, timeout=60):
        """Wait for a regular expression; returns the match."""
        timeout = scaled(timeout)
        try:
            self.child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            self.fail(f"timed out after {timeout:.0f} s (scale "
                      f"{TIMEOUT_SCALE:.1f}) waiting for {pattern!r}")
        except pexpect.EOF:
            self.fail(f"the machine stopped before {pattern!r} appeared")
        return self.child.match

    def send(self, s):
        self.child.send(s)

    def sendline(self, s):
        # A bare CR is what a terminal sends for Enter.
        self.child.send(s + "\r")

    def wait_exit(self, timeout=60):
        """Wait for the emulator to end; returns its exit status."""
        timeout = scaled(timeout)
        try:
            self.child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self.fail(f"still running after {timeout:.0f} s")
        self.child.close()
        return self.child.exitstatus

    def kill(self):
        if self.child.isalive():
            self.child.terminate(force=True)
