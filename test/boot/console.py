"""A serial console under test: pexpect around QEMU (or Bochs) whose every
wait has a timeout, and whose failures show the last console lines."""
import io
import re

import pexpect

TAIL_LINES = 40


class Console:
    def __init__(self, cmd, cwd=None, logname=None):
        self.log = io.StringIO()
        self.child = pexpect.spawn(cmd[0], list(cmd[1:]), cwd=cwd,
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
        try:
            self.child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            self.fail(f"timed out after {timeout} s waiting for {pattern!r}")
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
        try:
            self.child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self.fail(f"still running after {timeout} s")
        self.child.close()
        return self.child.exitstatus

    def kill(self):
        if self.child.isalive():
            self.child.terminate(force=True)
