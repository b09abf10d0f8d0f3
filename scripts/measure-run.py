#!/usr/bin/env python3
"""measure-run.py OUT CMD...: runs CMD once under GNU time (its output
discarded) and appends "wall_s cpu_s maxrss_kb" to OUT: the wall time from
a monotonic clock read around GNU time's run of the command, in
milliseconds (GNU time's own start and exit are in it, about a millisecond
more than the command's; GNU time's `%e` prints hundredths, a tenth of a
0.1 s scan), the peak resident memory GNU time reports (`%M`: of the command
alone; a process forked from this one would count the interpreter's pages
until it executes), and the user + system CPU time wait4(2) reports, in
microseconds (GNU time prints hundredths: at 0.2 s of CPU a step is 5% of
the measurement, which the growth checks of scripts/scaling.sh read). Exits
with the command's exit code; its stderr goes to OUT.err."""
import os
import subprocess
import sys
import time


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    rss = out + ".rss"
    with open(out + ".err", "wb") as err:
        start = time.monotonic()
        child = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", rss, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
    # The command's usage, with GNU time's own (a millisecond at most).
    cpu = usage.ru_utime + usage.ru_stime
    with open(rss) as f:
        # "Command exited with non-zero status N" comes first when it did.
        maxrss = f.read().split()[-1]
    os.remove(rss)
    with open(out, "a") as f:
        f.write(f"{wall:.3f} {cpu:.3f} {maxrss}\n")
    return os.waitstatus_to_exitcode(status) % 256


if __name__ == "__main__":
    sys.exit(main())
