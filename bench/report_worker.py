"""One inventory report in its own process, so that its peak RSS is its own: `fleet` or `platypus` mode."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time


def fleet(rows: int) -> float:
    from bench.scale import bulk_assets, make_app
    from fleet.services import audit_reports
    from fleet.services.auth import Principal

    tmp = tempfile.mkdtemp(prefix="fleet-bench-report-")
    app = make_app(f"sqlite:///{tmp}/report.sqlite")
    bulk_assets(app, rows)
    with app.app_context():
        t0 = time.perf_counter()
        data = audit_reports.gather("inventory")
        document = audit_reports.render_pdf(data, Principal("u00000", "벤치", frozenset({"auditor"})))
        seconds = time.perf_counter() - t0
        assert document.size > 0
    return seconds


def platypus(rows: int) -> float:
    import io

    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from reports.fonts import REGULAR, ensure_fonts

    ensure_fonts()
    t0 = time.perf_counter()
    data = [(f"BN-{i:05d}", "모니터 Monitor", "LG 27UP850N", f"SN{i:08d}", "BENCH", "재고 In stock", "2026-03-02", "",
             "") for i in range(rows)]
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), ("FONTSIZE", (0, 0), (-1, -1), 7.5)])
    story = [Paragraph("자산 현황 Inventory", ParagraphStyle("t", fontName=REGULAR, fontSize=16))]
    for start in range(0, rows, 1000):
        story.append(Table(data[start:start + 1000], repeatRows=0, style=style))
    SimpleDocTemplate(io.BytesIO(), pagesize=landscape(A4)).build(story)
    return time.perf_counter() - t0


if __name__ == "__main__":
    kind, rows = sys.argv[1], int(sys.argv[2])
    seconds = fleet(rows) if kind == "fleet" else platypus(rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1)}))
