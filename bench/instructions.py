"""`python -m bench.instructions [sqlite|postgresql]`: the instructions one hand-over + return request costs.

A figure that holds still on a machine whose speed moves by a third within minutes: valgrind's cachegrind counts
the instructions of the process that runs hand-over + return cycles in process (`bench.profile_handover`: Flask's
test client, the real slapd with 10,000 people, a real database), once with 20 cycles and once with 120; the
difference, per request, leaves out the start (imports, migrations, slapd's loading, the warm-up). It counts this
process's user-space instructions only: not slapd's or PostgreSQL's, not the kernel's (the system calls: see
`strace -c`). Two runs agree within half a per cent; compare trees with it before timing them with
`bench.compare_trees`. Needs Debian's `valgrind`; some 3 minutes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

FEW, MANY = 20, 120


def _cycles(kind: str, cycles: int) -> None:
    from bench.profile_handover import handover_cycles

    with handover_cycles(kind, "instructions") as (cycle, _engine):
        for i in range(cycles):
            cycle(i)


def _instructions(kind: str, cycles: int) -> int:
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           sys.executable, "-m", "bench.instructions", kind, "--cycles", str(cycles)],
                          capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(kind: str = "sqlite") -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    few, many = _instructions(kind, FEW), _instructions(kind, MANY)
    per_request = (many - few) / (MANY - FEW) / 2
    print(f"{kind}: {per_request / 1e6:.3f} M instructions a request (hand-over + return, in process; "
          f"{FEW} and {MANY} cycles counted by cachegrind)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--cycles":  # the counted run, under valgrind
        _cycles(sys.argv[1], int(sys.argv[3]))
    else:
        main(*sys.argv[1:2])
