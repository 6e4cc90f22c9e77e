"""Accessibility (KWCAG 2.2 / WCAG 2.1 AA), checked in a real Chromium with axe-core.

The walk (tests/web/a11y_walk.py) visits every page of the web blueprint for every role, in Korean and English,
at desktop and phone width, in its states (empty and full lists, forms refused by the server), runs axe-core's
WCAG 2.0/2.1 A and AA rules and Fleet's own structure checks (skip link, landmarks, one h1, ordered headings,
titles). docs/accessibility.md maps the 33 KWCAG items to these tests.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from fleet.web.views.common import bp
from tests.web.a11y_walk import ROUTES, SKIPPED, Finding, seed_empty, seed_full

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "a11y"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_SCRIPT = Axe().axe_script  # axe-core as bundled by axe-playwright-python (pinned in requirements-dev.txt)
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
WIDTHS = {"desktop": (1280, 800), "phone": (375, 740)}
LANGS = ("ko", "en")

# Fleet's own checks of a page's structure, in the page; returns what is wrong, and the title.
STRUCTURE = """() => {
  const problems = [];
  const h1 = document.querySelectorAll("h1");
  if (h1.length !== 1) problems.push(h1.length + " h1 elements");
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(h.tagName[1]);
    if (level > last + 1) problems.push(h.tagName + " after " + (last ? "h" + last : "no heading"));
    last = level;
  }
  const first = document.querySelector("body a[href], body button, body input:not([type=hidden]), body select");
  if (!first || first.getAttribute("href") !== "#main" || !first.classList.contains("skip-link"))
    problems.push("the first focusable element is not the skip link to #main");
  const main = document.getElementById("main");
  if (!main || main.tagName !== "MAIN") problems.push("no <main id=main>");
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
  if (!document.querySelector("body > header")) problems.push("no <header> landmark");
  if (document.querySelector("#logout") && !document.querySelector("header nav[aria-label]"))
    problems.push("no labelled <nav> for a logged-in person");
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.endsWith(" · Fleet")) problems.push("title does not end with · Fleet: " + document.title);
  return {problems, title: document.title};
}"""


# Reflow (KWCAG 2.2 / WCAG 1.4.10): at 320 CSS px (a 1280-px window at 400 %) and 640 (200 %), no page scrolls
# sideways, and every control outside a table's own scroll region stays within reach.
REFLOW_WIDTHS = (320, 640)
REFLOW = """() => {
  const root = document.documentElement;
  const problems = [];
  if (root.scrollWidth > root.clientWidth)
    problems.push("scrolls sideways: " + root.scrollWidth + " > " + root.clientWidth);
  for (const e of document.querySelectorAll(
      "main a[href], main button, main input:not([type=hidden]), main select, main textarea")) {
    if (e.closest(".scroll, [hidden]")) continue;
    const r = e.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    if (r.left < -1 || r.right > root.clientWidth + 1)
      problems.push("out of reach: " + e.tagName + " " + (e.name || e.id || e.textContent.trim().slice(0, 30)));
  }
  return problems;
}"""


def _web_get_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith((bp.name + ".", "privacy.")) and "GET" in rule.methods}


def test_every_page_of_the_web_blueprint_is_walked_or_skipped_with_a_reason(app):
    endpoints = _web_get_endpoints(app)
    missing = endpoints - ROUTES.keys() - SKIPPED.keys()
    assert not missing, f"add these pages to ROUTES (or SKIPPED, with a reason) in tests/web/a11y_walk.py: {missing}"
    stale = (ROUTES.keys() | SKIPPED.keys()) - endpoints
    assert not stale, f"no such GET endpoint any more: {stale}"
    assert not ROUTES.keys() & SKIPPED.keys()
    assert all(ROUTES[endpoint] for endpoint in ROUTES)


def log_in(page, site, uid, lang):
    page.goto(f"{site}/lang/{lang}")
    if uid is None:
        return
    page.goto(f"{site}/login")
    page.fill("input[name=username]", uid)
    page.fill("input[name=password]", uid + "pw")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert "/login" not in page.url, f"{uid} could not log in"


@pytest.mark.browser
@pytest.mark.parametrize("phase", ["empty", "full"])
def test_every_page_for_every_role_passes_axe_and_the_structure_checks(site, app, browser, phase):
    sample = seed_full(app) if phase == "full" else seed_empty(app)
    findings: list[Finding] = []
    structure: list[str] = []
    reflow: list[str] = []
    visits = checks = 0
    started = time.monotonic()
    roles = sorted({role for visits_ in ROUTES.values() for v in visits_ for role in v.roles}, key=str)
    for role in roles:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        page = context.new_page()
        for lang in LANGS:
            log_in(page, site, role, lang)
            titles: dict[str, str] = {}
            for endpoint, route_visits in ROUTES.items():
                for visit in route_visits:
                    if role not in visit.roles or phase not in visit.phases:
                        continue
                    page.set_viewport_size({"width": 1280, "height": 800})
                    url = site + visit.url(sample)
                    response = page.goto(url)
                    if visit.act:
                        visit.act(page, sample)
                        if visit.status:
                            assert page.locator("main .error, main [role=alert]").count(), \
                                f"{visit.state}: the page shows no refusal"
                    else:
                        assert response.status == (visit.status or 200), f"{visit.state} ({url}): {response.status}"
                    visits += 1
                    where = f"{visit.state} · {role or 'anonymous'} · {lang} · {phase}"
                    page.evaluate(AXE_SCRIPT)  # once per page; run at each width below
                    for width, height in WIDTHS.values():
                        page.set_viewport_size({"width": width, "height": height})
                        checks += 1
                        violations = page.evaluate("options => axe.run(document, options).then(r => r.violations)",
                                                   AXE_OPTIONS)
                        for rule in violations:
                            findings.append(Finding(phase, role, lang, width, visit.state, page.url, rule["id"],
                                                    rule.get("impact"), [n["target"] for n in rule["nodes"]]))
                    for width in REFLOW_WIDTHS:
                        page.set_viewport_size({"width": width, "height": 640})
                        reflow += [f"{where} · {width}px: {p}" for p in page.evaluate(REFLOW)]
                    report = page.evaluate(STRUCTURE)
                    structure += [f"{where}: {p}" for p in report["problems"]]
                    if visit.status is None or visit.status < 400:
                        other = titles.setdefault(report["title"], endpoint)
                        if other != endpoint:
                            structure.append(f"{where}: title {report['title']!r} is also the title of {other}")
        context.close()
    elapsed = time.monotonic() - started
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"walk-{phase}.json").write_text(json.dumps({
        "phase": phase, "page_visits": visits, "axe_checks": checks, "seconds": round(elapsed, 1),
        "violations": [f.__dict__ for f in findings], "by_rule": Counter(f.rule for f in findings),
        "structure": structure, "reflow": reflow}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"\naccessibility walk ({phase}): {visits} page states, {checks} axe checks, {len(findings)} violations, "
          f"{len(structure)} structure problems, {len(reflow)} reflow problems, {elapsed:.0f} s")
    assert not findings, "axe-core found WCAG A/AA violations:\n" + "\n".join(f.line() for f in findings[:60])
    assert not structure, "structure problems:\n" + "\n".join(structure[:60])
    assert not reflow, "reflow problems:\n" + "\n".join(reflow[:60])
    assert visits > (10 if phase == "empty" else 40)



@pytest.mark.browser
def test_the_walk_checks_see_what_they_look_for(page):
    """The walk's checks on a page made to fail them: axe's label rule, the structure, the reflow."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.set_content('<html><head><title>Broken</title></head><body><main><h2>Late heading</h2>'
                     '<input name="q"><div style="width: 600px">wide</div></main></body></html>')
    page.evaluate(AXE_SCRIPT)
    rules = {r["id"] for r in page.evaluate("o => axe.run(document, o).then(r => r.violations)", AXE_OPTIONS)}
    assert {"label", "html-has-lang"} <= rules
    problems = " | ".join(page.evaluate(STRUCTURE)["problems"])
    for expected in ("0 h1 elements", "H2 after no heading", "skip link", "no <main id=main>", "no <header>",
                     "no lang", "title does not end"):
        assert expected in problems
    assert any(p.startswith("scrolls sideways") for p in page.evaluate(REFLOW))


def center_region(page) -> str:
    return page.locator("#timeline").locator("xpath=..").get_attribute("aria-label")


@pytest.mark.browser
def test_the_week_timeline_is_a_real_table_and_titles_name_the_record(site, app, browser):
    """A screen reader reads the timeline cell by cell (caption, column and row headers); the title of a
    record's page names the record first (`YS-NB-0001 · 자산 · Fleet`)."""
    sample = seed_full(app)
    context = browser.new_context()
    page = context.new_page()
    log_in(page, site, "it1", "ko")
    page.goto(f"{site}/desk/bookings?center=JJ")
    table = page.locator("#timeline")
    caption = table.locator("caption").inner_text()
    first_day = page.locator("#timeline thead th[scope=col]").nth(1).inner_text()
    assert first_day in caption and "~" in caption  # the seven days the table shows (ko: "… ~ …")
    assert center_region(page) == "예약 · 진잠도서관 스마트워크센터"
    assert table.locator("thead th[scope=col]").count() == 8
    rows = table.locator("tbody tr")
    assert rows.count() >= 1 and rows.locator("th[scope=row]").count() == rows.count()
    header_of_booked_cell = page.evaluate("""() => {
      const cell = document.querySelector("#timeline td.held");
      return document.querySelectorAll("#timeline thead th")[cell.cellIndex].textContent.trim();
    }""")
    assert header_of_booked_cell  # each held cell has its day as a column header
    page.goto(f"{site}/assets/{sample.tag}")
    assert page.title() == "YS-NB-0001 · 자산 · Fleet"
    page.goto(f"{site}/desk/loans/{sample.loan_id}")
    assert page.title().startswith("L-") and page.title().endswith(" · 대여 · Fleet")
    page.goto(f"{site}/assets/new")
    new_title = page.title()
    page.goto(f"{site}/assets")
    assert page.title() != new_title
    context.close()
