#!/usr/bin/env python3
"""measure-run.py OUT CMD...: runs CMD once (its output discarded) and
appends "wall_s cpu_s maxrss_kb" to OUT: the wall time around the child, its
user + system CPU time and its peak resident memory from wait4(2), in
microseconds (GNU time prints CPU in hundredths: at 0.2 s of CPU a step is
5% of the measurement, which the growth checks of scripts/scaling.sh read).
Exits with the child's exit code (128 + the signal when a signal ended it);
its stderr goes to OUT.err."""
import os
import subprocess
import sys
import time


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    with open(out + ".err", "wb") as err:
        start = time.monotonic()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    with open(out, "a") as f:
        # ru_maxrss is in kilobytes on Linux, as GNU time's %M.
        f.write(f"{wall:.3f} {cpu:.3f} {usage.ru_maxrss}\n")
    code = child.returncode
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main())
