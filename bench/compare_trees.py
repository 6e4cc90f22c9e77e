"""`python -m bench.compare_trees sqlite|postgresql ROUNDS SECONDS TREE_A TREE_B`: the hand-over ratio of two
checkouts of Fleet, measured in turns against one baseline.

A change to the hand-over's path moves the ratio by a few hundredths, and on a shared machine one run of
`--only handover` swings by ±0.05: comparing two runs made minutes apart compares the machine. Here both trees
serve at once (each its own gunicorn server and database, prepared alike; the trees are git worktrees whose
`.venv` is this one's), and each round measures the baseline and then both trees (their order alternating), so
that each round's difference B − A is taken under the same load. Prints each round, the medians, and the
per-round differences.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import tests.support.server as server_module
from bench import scale
from bench.handover import baseline_cycle, baseline_server, fleet_cycle, fleet_server, measured

WORKERS = 8  # client threads, as the handover part


def main(kind: str, rounds: int, seconds: float, *trees: str) -> None:
    servers = []
    with scale.directory_and_databases(kind, "fleet-compare") as (ldap, database):
        try:
            fleet = []
            for n, tree in enumerate(trees):
                url = database(f"fleet_compare_{n}")
                scale.prepare_fleet_database(url, ldap, assets=WORKERS * 4)
                server_module.ROOT = Path(tree)  # gunicorn imports Fleet from the tree it starts in
                server = fleet_server(url, ldap).start()
                servers.append(server)
                fleet.append((tree, server, fleet_cycle(server, WORKERS)))
            server_module.ROOT = Path(trees[0])
            baseline_url = database("fleet_compare_baseline")
            if kind == "sqlite":
                scale.prepare_fleet_database(baseline_url, ldap, assets=1)
            baseline = baseline_server(baseline_url, WORKERS * 4).start()
            servers.append(baseline)
            _rounds(rounds, seconds, fleet, baseline)
        finally:
            for server in servers:
                server.stop()


def _rounds(rounds: int, seconds: float, fleet: list, baseline) -> None:
    """The baseline, then each tree (their order alternating), `rounds` times; prints each round and the medians."""
    trees = [tree for tree, _, _ in fleet]
    base_cycle = baseline_cycle(baseline, WORKERS)
    ratios: dict[str, list[float]] = {tree: [] for tree in trees}
    cpu: dict[str, list[float]] = {tree: [] for tree in trees}
    base_cpu = []
    for r in range(rounds):
        base_rps, _, _, base_ms = measured(base_cycle, baseline, WORKERS, seconds)
        base_cpu.append(base_ms)
        for tree, server, cycle in (fleet if r % 2 == 0 else fleet[::-1]):
            rps, _, _, ms = measured(cycle, server, WORKERS, seconds)
            ratios[tree].append(rps / base_rps)
            cpu[tree].append(ms)
        print(f"round {r}: baseline {base_rps:.0f} req/s; " + ", ".join(
            f"{Path(t).name} {ratios[t][-1]:.3f} ({cpu[t][-1]:.2f} ms CPU a request)" for t in trees), flush=True)
    print(f"baseline's CPU a request, median {statistics.median(base_cpu):.2f} ms")
    for tree in trees:
        print(f"{tree}: ratio median {statistics.median(ratios[tree]):.3f}, "
              f"CPU a request median {statistics.median(cpu[tree]):.2f} ms")
    if len(trees) == 2:
        differences = [b - a for a, b in zip(ratios[trees[0]], ratios[trees[1]], strict=True)]
        print(f"B − A per round: median {statistics.median(differences):+.3f}", [round(d, 3) for d in differences])


if __name__ == "__main__":
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:])
