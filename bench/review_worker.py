"""The monthly review in its own process: `python -m bench.review_worker URL MONTH` prints one JSON line with the
seconds `gather_review` took (wall, and this process's CPU: with SQLite the database works in process too) and the
process's own peak RSS (VmHWM), so that the bench's fill does not count."""

from __future__ import annotations

import json
import sys
import time

from bench.verify_worker import peak_rss_mb


def main(url: str, month: str) -> None:
    from fleet import create_app
    from fleet.access_log.review import gather_review
    from fleet.extensions import db

    app = create_app({"FLEET_DATABASE_URL": url, "FLEET_SECRET_KEY": "bench"})
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect first: the time is the review's
        before = peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        result = gather_review(month)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        db.engine.dispose()
    print(json.dumps({"seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": peak_rss_mb(),
                      "rss_before_mb": before,
                      "entries": result.entries, "flags": len(result.flags), "downloads": len(result.downloads)}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
