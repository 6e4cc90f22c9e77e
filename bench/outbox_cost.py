"""`python -m bench.outbox_cost [sqlite|postgresql] [rounds]`: what the outbox adds to a hand-over + return.

The hand-over throughput bench (`python -m bench --only handover`) swings by more than the outbox
costs when the machine is shared, so this measures the difference itself: hand-over + return cycles
in process (Flask's test client, the real slapd with 10,000 people, a real database), in rounds that
alternate between the outbox on (as shipped: one INSERT per hand-over and one per return) and off
(the two queueing calls replaced by no-ops), and prints the CPU milliseconds per request of each, the
statements per cycle, and what the difference does to the throughput bench's hand-over ratio, which is
bound by the workers' CPU: ratio × (CPU off / CPU on).
"""

from __future__ import annotations

import statistics
import sys
import time

from sqlalchemy import event

from bench.profile_handover import handover_cycles
from fleet.services import notifications


def main(kind: str = "sqlite", rounds: str = "8", cycles: int = 150) -> None:
    with handover_cycles(kind, "outbox_cost") as (numbered_cycle, engine):
        counter = iter(range(50, 10**9))

        def cycle() -> None:
            numbered_cycle(next(counter))

        shipped = (notifications.queue_for_person, notifications.queue_for_uid)

        def outbox(on: bool) -> None:
            if on:
                notifications.queue_for_person, notifications.queue_for_uid = shipped
            else:
                notifications.queue_for_person = notifications.queue_for_uid = lambda *a, **k: None

        statements = {True: 0, False: 0}
        state = {"on": True}

        def count(*_args) -> None:
            statements[state["on"]] += 1

        event.listen(engine, "before_cursor_execute", count)
        cpu: dict[bool, list[float]] = {True: [], False: []}
        wall: dict[bool, list[float]] = {True: [], False: []}
        for r in range(int(rounds) * 2):
            on = r % 2 == 0 if (r // 2) % 2 == 0 else r % 2 == 1  # on/off, off/on, … so neither always goes first
            state["on"] = on
            outbox(on)
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(cycles):
                cycle()
            cpu[on].append((time.process_time() - c0) / cycles / 2 * 1000)
            wall[on].append((time.perf_counter() - w0) / cycles / 2 * 1000)
        outbox(True)
        event.remove(engine, "before_cursor_execute", count)
        total_cycles = int(rounds) * cycles
        on_cpu, off_cpu = statistics.median(cpu[True]), statistics.median(cpu[False])
        print(f"{kind}: {rounds} rounds of {cycles} hand-over + return cycles each way, medians")
        print(f"  outbox on : {on_cpu:.3f} ms CPU per request ({statistics.median(wall[True]):.3f} ms wall), "
              f"{statements[True] / total_cycles:.1f} statements per cycle")
        print(f"  outbox off: {off_cpu:.3f} ms CPU per request ({statistics.median(wall[False]):.3f} ms wall), "
              f"{statements[False] / total_cycles:.1f} statements per cycle")
        print(f"  the outbox costs {on_cpu - off_cpu:+.3f} ms CPU per request ({(on_cpu / off_cpu - 1) * 100:+.1f} %); "
              f"a hand-over ratio of 0.40 becomes {0.40 * off_cpu / on_cpu:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
