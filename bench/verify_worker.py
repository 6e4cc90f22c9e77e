"""`python -m fleet.verify` in its own process, then its own peak RSS (VmHWM) on stderr as one JSON line.

Not the parent's: Linux keeps the high-water mark of the forked copy of the parent in ru_maxrss across exec.
"""

from __future__ import annotations

import json
import sys

from fleet import verify


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


if __name__ == "__main__":
    code = verify.main(sys.argv[1:])
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}), file=sys.stderr)
    sys.exit(code)
