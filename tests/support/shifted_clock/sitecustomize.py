"""Shift this Python process's clock by SHIFTED_CLOCK_OFFSET seconds (scripts/test-at.sh).

On PYTHONPATH, Python imports this module at start-up in every process of the run: pytest, the gunicorn servers
and the flask commands the tests start. Each travels (time-machine) to the real time plus the same offset and
ticks on from there, so all of them agree on one shifted clock. Only the wall clock moves (`time.time`,
`datetime.now`, `date.today`); monotonic clocks and timed waits stay real, so threads and timeouts work.
"""

import os

_offset = os.environ.get("SHIFTED_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
