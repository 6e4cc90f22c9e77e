"""Hand-built Korean sample data, and PDFs read back the way a person's viewer would."""

from __future__ import annotations

import html
import io
import re
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfReader

import reports

LONG_DEPARTMENT = " ".join(
    [
        "스마트워크센터운영및디지털민원서비스혁신추진단",
        "정보화정책과",
        "디지털인프라운영팀",
        "원격근무지원파트",
        "재택근무환경개선태스크포스",
    ]
)
PERSON = reports.Party("이지은", "E3001", LONG_DEPARTMENT, "emp1@example.kr", "emp1")
ASSET = reports.AssetLine(
    "YS-NB-001",
    "노트북 Laptop",
    "LG",
    "gram 16",
    "LG26000001",
    ["충전기 charger", "가방 bag", "마우스 mouse"],
    "새 제품",
)


def handover(**overrides) -> reports.HandoverForm:
    values = dict(
        org_name="대전광역시 유성구청",
        form_number="L-2026-000042",
        issued_at="2026-11-23 14:05 KST",
        due_date="2027-02-21",
        center_name="진잠도서관 스마트워크센터",
        request_ref="R-000007",
        issued_by="김민수",
        assignee=PERSON,
        asset=ASSET,
        note="임신 중 재택근무 지원",
        qr_payload="fleet:loan:L-2026-000042",
        created_at="2026-11-23T05:05:00+00:00",
    )
    return reports.HandoverForm(**{**values, **overrides})


def return_form(**overrides) -> reports.ReturnForm:
    values = dict(
        org_name="대전광역시 유성구청",
        form_number="L-2026-000042",
        returned_at="2026-11-30 10:00 KST",
        received_by="김민수",
        issued_at="2026-11-23 14:05 KST",
        due_date="2026-11-27",
        center_name="진잠도서관 스마트워크센터",
        assignee=PERSON,
        asset=ASSET,
        accessories_handed_over=["충전기 charger", "가방 bag", "마우스 mouse"],
        accessories_returned=["충전기 charger", "마우스 mouse"],
        condition="damaged",
        damage_notes="화면 모서리 깨짐",
        data_wiped=False,
        wipe_release=None,
        days_overdue=3,
        qr_payload="fleet:return:L-2026-000042",
        created_at="2026-11-30T01:00:00+00:00",
    )
    return reports.ReturnForm(**{**values, **overrides})


def batch(count: int = 40) -> reports.BatchHandoverForm:
    lines = [
        reports.BatchLine(
            f"L-2026-{i:06d}",
            replace(PERSON, name=f"직원{i}", uid=f"emp{i}"),
            replace(ASSET, asset_tag=f"YS-NB-{i:03d}", serial_number=f"LG26{i:06d}"),
            "2027-01-01",
        )
        for i in range(1, count + 1)
    ]
    return reports.BatchHandoverForm(
        org_name="대전광역시 유성구청",
        batch_number="B-2026-000001",
        issued_at="2026-11-23 14:05 KST",
        issued_by="김민수",
        note="도서관 정보실 긴급 업무공간 개설",
        lines=lines,
        qr_payload="fleet:batch:B-2026-000001",
        created_at="2026-11-23T05:05:00+00:00",
    )


def signature_png(width: int = 300, height: int = 100) -> bytes:
    """A pen stroke on a transparent background, as a signature pad gives it."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 70), (80, 20), (150, 80), (220, 25), (290, 60)], fill=(20, 20, 90, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# ---- reading PDFs back ---------------------------------------------------------------


def _run(args: list[str], pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(
            [*args, f.name, "-"] if args[0] == "pdftotext" else [*args, f.name],
            capture_output=True,
            check=True,
            text=True,
        ).stdout


def text(pdf: bytes, page: int | None = None) -> str:
    """pdftotext -layout, of one page or all."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return _run(["pdftotext", "-layout", *pages], pdf)


def flat(pdf: bytes, page: int | None = None) -> str:
    """The text in the order it was written (pdftotext -raw, as a viewer selects it) without
    any whitespace: a value wrapped over lines reads as one, even beside a two-line label."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return "".join(_run(["pdftotext", "-raw", *pages], pdf).split())


def fonts(pdf: bytes) -> list[tuple[str, str, bool]]:
    """(name, type, embedded?) of every font, per pdffonts."""
    rows = _run(["pdffonts"], pdf).splitlines()[2:]
    found = []
    for row in rows:
        parts = row.split()
        found.append((parts[0], " ".join(parts[1:-6]), parts[-5] == "yes"))
    return found


def images(pdf: bytes) -> list[str]:
    """One line of `pdfimages -list` per image (soft masks included, typed "smask")."""
    return [line for line in _run(["pdfimages", "-list"], pdf).splitlines()[2:] if line.strip()]


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def qr_codes(pdf: bytes, page: int = 1) -> list[str]:
    """QR payloads zbarimg finds on a 150 dpi render of the page."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "150", "-f", str(page), "-l", str(page), str(path), str(Path(tmp) / "p")],
            check=True,
        )
        png = next(Path(tmp).glob("p*.png"))
        out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


def words(pdf: bytes, page: int = 1) -> tuple[list[Word], float, float]:
    """Every word with its box (points, from the top-left), and the page's width and height."""
    out = _run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page)], pdf)
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out)
    found = [
        Word(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3]))
        for m in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', out)
    ]
    return found, float(size[1]), float(size[2])


def overlaps(found: list[Word], tolerance: float = 0.6) -> list[tuple[Word, Word]]:
    """Pairs of words whose boxes overlap by more than `tolerance` points both ways."""
    pairs = []
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.bottom, b.bottom) - max(a.top, b.top)
            if dx > tolerance and dy > tolerance:
                pairs.append((a, b))
    return pairs
