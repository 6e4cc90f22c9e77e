"""The package boundary: nothing from the service, nothing costly at import, same bytes in every process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import reports
from tests.reports.helpers import batch, handover, return_form, signature_png

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, **env: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_importing_reports_pulls_in_no_service_code_and_registers_no_font():
    code = (
        "import sys, reports\n"
        "from reportlab.pdfbase import pdfmetrics\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fleet', 'flask', 'sqlalchemy')]\n"
        "print(bad, 'NanumGothic' in pdfmetrics.getRegisteredFontNames())"
    )
    assert _python(code) == "[] False"


SAMPLES = (
    "from tests.reports.helpers import batch, handover, return_form, signature_png\n"
    "import hashlib, reports\n"
    "docs = [reports.render_handover(handover(signature_assignee_png=signature_png())),\n"
    "        reports.render_return(return_form()), reports.render_batch_handover(batch(12))]\n"
    "print(' '.join(hashlib.sha256(d).hexdigest() for d in docs))"
)


def test_another_process_renders_the_same_bytes():
    here = [
        reports.render_handover(handover(signature_assignee_png=signature_png())),
        reports.render_return(return_form()),
        reports.render_batch_handover(batch(12)),
    ]
    expected = " ".join(hashlib.sha256(d).hexdigest() for d in here)
    assert _python(SAMPLES, PYTHONHASHSEED="1") == expected
    assert _python(SAMPLES, PYTHONHASHSEED="2", SOURCE_DATE_EPOCH="1700000000") == expected


def test_fonts_are_read_from_fleet_font_dir(tmp_path):
    code = "import reports\ntry:\n    reports.render_labels([], 'x', 'y')\nexcept FileNotFoundError as e:\n    print(e)"
    assert "FLEET_FONT_DIR" in _python(code, FLEET_FONT_DIR=str(tmp_path))
