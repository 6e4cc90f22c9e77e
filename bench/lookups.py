"""`python -m bench.lookups`: how long one directory look-up takes, in process, against the bench's slapd.

A hand-over's check of the assignee (`get_person`) and a log-in's look-up with roles (`with_roles=True`): 200
warm-up look-ups, then 2,000 of each over the 10,000 people, timed one by one; prints the median and the p95.
"""

from __future__ import annotations

import statistics
import time

from bench import directory as bench_directory
from fleet.directory import directory_from_config

LOOK_UPS = 2_000


def main() -> None:
    slapd = bench_directory.start(10_000)
    try:
        directory = directory_from_config(bench_directory.settings(slapd))
        for label, options in (("a hand-over's check", {}), ("a log-in's look-up, with roles", {"with_roles": True})):
            for i in range(200):
                directory.get_person(bench_directory.person_uid(i), **options)
            took = []
            for i in range(LOOK_UPS):
                started = time.perf_counter()
                directory.get_person(bench_directory.person_uid(i * 7 % 10_000), **options)
                took.append(time.perf_counter() - started)
            took.sort()
            print(f"{label}: median {statistics.median(took) * 1e6:.0f} µs, "
                  f"p95 {took[int(len(took) * 0.95)] * 1e6:.0f} µs", flush=True)
    finally:
        slapd.stop()


if __name__ == "__main__":
    main()
