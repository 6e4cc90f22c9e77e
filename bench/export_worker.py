"""One export of the event log in its own process, so that its peak RSS is its own.

`python -m bench.export_worker DATABASE_URL OUT.jsonl` prints one JSON line: seconds, peak RSS, bytes.
"""

from __future__ import annotations

import json
import sys
import time

from bench.verify_worker import peak_rss_mb


def main(url: str, out: str) -> None:
    from fleet import create_app
    from fleet.services.event_export import export_lines, export_range

    app = create_app({"FLEET_DATABASE_URL": url, "FLEET_SECRET_KEY": "bench"})
    with app.app_context():
        t0 = time.perf_counter()
        with open(out, "w", encoding="utf-8") as file:
            for chunk in export_lines(export_range()):
                file.write(chunk)
        seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
