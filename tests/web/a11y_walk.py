"""The accessibility walk's table: every page of the web blueprint, how to reach it, and in which states.

`ROUTES` maps each GET endpoint of the `web` blueprint to the visits that show it. A visit names a state
("empty form", "refused form", "full list"…), the people who look at it, the URL (built from the sample data
when the page shows a record) and, optionally, what to do on the page before it is checked (submit a form
that the server refuses, scan a tag…). `SKIPPED` lists the GET endpoints that are not pages (PDF and CSV
downloads, JSON previews, redirects), each with the reason.

A new page must be added to one of the two: tests/web/test_accessibility.py fails for an endpoint that is in
neither, and for an entry whose endpoint no longer exists. To add a page:

    ROUTES["web.incident_page"] = [
        Visit("incident", lambda s: f"/desk/incidents/{s.incident_id}", IT_ONLY, phases=FULL),
        Visit("refused report", "/me/loans/…/incident", EMPLOYEE_ONLY, act=submit_form("#incident-form")),
    ]

and, when the page shows a record, put one in `seed_full` and its id on `Sample`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from fleet.directory import get_directory
from fleet.extensions import db
from fleet.services import loans, requests, reservations, stocktakes
from fleet.services.reservations import local_midnight
from tests.factories import IT_PRINCIPAL, create_request
from tests.support.clock import fleet_today
from tests.web.helpers import stock

IT, AUDITOR, EMPLOYEE, ANONYMOUS = "it1", "audit1", "emp1", None
PRIVACY = "privacy1"  # the privacy officer (the access log's review)
PRIVACY_ONLY = (PRIVACY,)
EVERYONE = (IT, AUDITOR, EMPLOYEE)
IT_ONLY = (IT,)
DESK_AND_AUDIT = (IT, AUDITOR)
EMPLOYEE_ONLY = (EMPLOYEE,)
BOTH = ("empty", "full")
FULL = ("full",)


@dataclass
class Sample:
    """Records of the full phase that pages show (ids and tags); empty in the empty phase."""

    tag: str = "YS-NB-0001"
    loan_id: int | None = None
    returned_loan_id: int | None = None
    batch_id: int | None = None
    open_stocktake_id: int | None = None
    closed_stocktake_id: int | None = None


Action = Callable[..., None]


@dataclass(frozen=True)
class Visit:
    state: str
    path: str | Callable[[Sample], str]
    roles: tuple[str | None, ...]
    act: Action | None = None
    phases: tuple[str, ...] = BOTH
    status: int | None = None  # the HTTP status the page answers with, when it is not 200

    def url(self, sample: Sample) -> str:
        return self.path(sample) if callable(self.path) else self.path


# What a visit may do before the page is checked. Each receives the page and the sample.


def submit_form(selector: str, **fields: str) -> Action:
    """Fill fields (name → value) of a form and submit it without the browser's own checks, so that the
    server's refusal (error summary, field errors) is what is shown."""

    def act(page, sample: Sample) -> None:
        for name, value in fields.items():
            target = page.locator(f"{selector} [name={name}]").first
            if target.get_attribute("type") == "radio":
                page.locator(f"{selector} [name={name}][value={value}]").check()
            elif target.evaluate("e => e.tagName") == "SELECT":  # a value the list lacks, as a forged post would send
                target.evaluate("(e, v) => { if (![...e.options].some(o => o.value === v)) e.add(new Option(v, v));"
                                " e.value = v; }", value)
            else:
                target.fill(value)
        with page.expect_navigation():
            page.locator(selector).evaluate("f => HTMLFormElement.prototype.submit.call(f)")

    return act


def upload(selector: str, name: str, mime: str, content: bytes) -> Action:
    def act(page, sample: Sample) -> None:
        page.set_input_files(f"{selector} input[type=file]", files=[{"name": name, "mimeType": mime,
                                                                      "buffer": content}])
        with page.expect_navigation():
            page.locator(f"{selector} button[type=submit]").press("Enter")

    return act


def fill_handover(page, sample: Sample) -> None:
    """The hand-over screen with both previews shown (the device and the directory's answer)."""
    page.fill("#asset_tag", "YS-NB-0002")
    page.press("#asset_tag", "Enter")
    page.keyboard.type("emp2")
    page.locator("#person-preview .verdict").wait_for()


def scan_unknown(page, sample: Sample) -> None:
    page.keyboard.type("ZZ-404")
    page.keyboard.press("Enter")
    page.locator("#last-scan").wait_for()


def wrong_password(page, sample: Sample) -> None:
    page.fill("input[name=username]", "emp1")
    page.fill("input[name=password]", "wrong")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


ROUTES: dict[str, list[Visit]] = {
    "web.login": [
        Visit("log-in form", "/login", (ANONYMOUS,)),
        Visit("refused log-in", "/login", (ANONYMOUS,), act=wrong_password, status=422),
    ],
    "web.dashboard": [Visit("desk dashboard", "/desk", IT_ONLY),
                      Visit("not allowed", "/desk", (AUDITOR, EMPLOYEE), status=403)],
    "web.handover": [
        Visit("empty hand-over", "/desk/handover", IT_ONLY),
        Visit("hand-over with previews", "/desk/handover", IT_ONLY, act=fill_handover, phases=FULL),
        Visit("refused hand-over", "/desk/handover", IT_ONLY, phases=FULL, status=422,
              act=submit_form("#handover-form", asset_tag="YS-NB-0002", assignee="gone1", due_date="2000-01-01")),
    ],
    "web.handover_batch": [
        Visit("batch form", "/desk/handover/batch", IT_ONLY),
        Visit("refused batch", "/desk/handover/batch", IT_ONLY, status=422,
              act=submit_form("#batch-form", lines="YS-NB-0002 emp1 extra")),
    ],
    "web.batch_page": [Visit("batch", lambda s: f"/desk/batches/{s.batch_id}", IT_ONLY, phases=FULL)],
    "web.return_lookup": [
        Visit("return look-up", "/desk/return", IT_ONLY),
        Visit("unknown tag", "/desk/return?tag=ZZ-404", IT_ONLY, status=404),
        Visit("return form", lambda s: f"/desk/return?tag={s.tag}", IT_ONLY, phases=FULL),
        Visit("refused return", lambda s: f"/desk/return?tag={s.tag}", IT_ONLY, phases=FULL, status=422,
              act=submit_form("#return-form", condition="damaged")),
    ],
    "web.loan_page": [
        Visit("open loan with signature pads", lambda s: f"/desk/loans/{s.loan_id}", IT_ONLY, phases=FULL),
        Visit("returned loan", lambda s: f"/desk/loans/{s.returned_loan_id}", IT_ONLY, phases=FULL),
    ],
    "web.loan_list": [Visit("open loans", "/loans", DESK_AND_AUDIT),
                      Visit("overdue loans", "/loans?overdue=1", DESK_AND_AUDIT)],
    "web.desk_bookings": [
        Visit("week timeline", "/desk/bookings?center=JJ", IT_ONLY),
        Visit("refused booking", "/desk/bookings?center=JJ", IT_ONLY, status=422,
              act=submit_form("#desk-booking-form", person="emp1", starts_day="2000-01-01")),
    ],
    "web.desk_day": [Visit("day list", "/desk/bookings/day?center=JJ", IT_ONLY)],
    "web.assets": [Visit("asset list", "/assets", DESK_AND_AUDIT),
                   Visit("no match", "/assets?q=nothing-matches", DESK_AND_AUDIT, phases=FULL)],
    "web.asset_page": [
        Visit("asset", lambda s: f"/assets/{s.tag}", DESK_AND_AUDIT, phases=FULL),
        Visit("refused status move", "/assets/YS-NB-0003", IT_ONLY, phases=FULL, status=422,
              act=submit_form("#status-form", status="retired", reason="")),
        Visit("unknown asset", "/assets/ZZ-404", IT_ONLY, status=404),
    ],
    "web.asset_new": [
        Visit("new asset", "/assets/new", IT_ONLY),
        Visit("refused new asset", "/assets/new", IT_ONLY, status=422,
              act=submit_form("#asset-form", asset_tag="bad tag!", purchase_date="2026-01-02",
                              warranty_until="2025-01-01")),
    ],
    "web.asset_edit": [Visit("edit asset", lambda s: f"/assets/{s.tag}/edit", IT_ONLY, phases=FULL)],
    "web.asset_import_page": [
        Visit("import form", "/assets/import", IT_ONLY),
        Visit("refused import", "/assets/import", IT_ONLY, status=422,
              act=upload("#import-form", "assets.csv", "text/csv",
                         b"asset_tag,category,center\nNB-1,toaster,XX\nNB-2,laptop,JJ\n")),
    ],
    "web.request_queue": [Visit("request queue", "/desk/requests", IT_ONLY)],
    "web.stocktake_start": [
        Visit("start a stocktake", "/desk/stocktakes", IT_ONLY),
        Visit("refused start", "/desk/stocktakes", IT_ONLY, status=422,
              act=submit_form("form:has(#start)", center="ZZ")),
    ],
    "web.stocktake_page": [
        Visit("stocktake scanning", lambda s: f"/desk/stocktakes/{s.open_stocktake_id}", IT_ONLY, phases=FULL,
              act=scan_unknown),
        Visit("closed stocktake", lambda s: f"/desk/stocktakes/{s.closed_stocktake_id}", IT_ONLY, phases=FULL),
    ],
    "web.labels": [
        Visit("labels", "/desk/labels", IT_ONLY),
        Visit("refused labels", "/desk/labels", IT_ONLY, status=422,
              act=submit_form("form:has(#labels-tags)", tags="ZZ-404")),
    ],
    "web.leavers": [Visit("leavers", "/desk/leavers", IT_ONLY)],
    "web.outbox": [Visit("outbox", "/desk/outbox", IT_ONLY)],
    "web.audit_home": [
        Visit("reports", "/audit", DESK_AND_AUDIT),
        Visit("refused report", "/audit/reports/loans.pdf?from=2026-02-01&to=2026-01-01", (AUDITOR,), status=422),
    ],
    "web.audit_events": [Visit("event log", "/audit/events", DESK_AND_AUDIT),
                         Visit("chain verified", "/audit/events?verify=1", (AUDITOR,), phases=FULL)],
    "web.audit_verify": [
        Visit("verify form", "/audit/verify", DESK_AND_AUDIT),
        Visit("not a PDF", "/audit/verify", (AUDITOR,), status=422,
              act=upload("#verify-pdf", "x.pdf", "application/pdf", b"not a pdf")),
    ],
    "web.my_page": [Visit("my loans", "/me", EVERYONE)],
    "web.my_request": [
        Visit("request form", "/me/request", EMPLOYEE_ONLY),
        Visit("refused request", "/me/request", EMPLOYEE_ONLY, status=422,
              act=submit_form("#request-form", needed_from="2099-01-10", needed_until="2099-01-01")),
    ],
    "web.my_bookings": [
        Visit("my bookings", "/me/bookings", EMPLOYEE_ONLY),
        Visit("refused booking", "/me/bookings", EMPLOYEE_ONLY, status=422,
              act=submit_form("#booking-form", starts_day="2000-01-01")),
    ],
}

# Between hand-over and return (issue 22), an asset's life after the desk (issue 23), sessions (issue 25).
ROUTES.update({
    "web.my_extension": [
        Visit("ask for more time", lambda s: f"/me/loans/{s.loan_id}/extend", EMPLOYEE_ONLY, phases=FULL),
        Visit("refused extension", lambda s: f"/me/loans/{s.loan_id}/extend", EMPLOYEE_ONLY, phases=FULL,
              status=422, act=submit_form("#extension-form", until="2000-01-01", reason="")),
    ],
    "web.my_incident": [
        Visit("report an incident", lambda s: f"/me/loans/{s.loan_id}/incident", EMPLOYEE_ONLY, phases=FULL),
        Visit("refused incident", lambda s: f"/me/loans/{s.loan_id}/incident", EMPLOYEE_ONLY, phases=FULL,
              status=422, act=submit_form("#incident-form", kind="stolen", happened_day="2000-01-01",
                                          happened_time="10:00", place="", description="")),
    ],
    "web.repair_list": [Visit("repairs", "/desk/repairs", IT_ONLY)],
    "web.inspection_list": [Visit("inspections due", "/desk/inspections", IT_ONLY)],
    "web.disposal_page": [
        Visit("disposal", "/desk/disposal", IT_ONLY),
        Visit("refused disposal", "/desk/disposal", IT_ONLY, status=404,
              act=submit_form("#disposal-form", asset_tags="ZZ-404", reason="내용연수 경과")),
    ],
    "web.my_sessions": [Visit("my sessions", "/me/sessions", EVERYONE)],
    "web.person_sessions": [Visit("a person's sessions", "/desk/sessions?uid=emp1", IT_ONLY)],
})

# The privacy officer's page of the access log (issue 20); in the full phase the walk's own visits are on it.
ROUTES.update({
    "privacy.access_log": [
        Visit("access log", "/privacy", PRIVACY_ONLY),
        Visit("access log checked", "/privacy?verify=1", PRIVACY_ONLY, phases=FULL),
        Visit("refused filter", "/privacy?from=2026-13-40", PRIVACY_ONLY, status=422),
        Visit("not allowed", "/privacy", (IT,), status=403),
    ],
})

SKIPPED: dict[str, str] = {
    "web.index": "redirects to the person's home page",
    "web.switch_language": "redirects back to the page it came from",
    "web.report": "PDF and CSV downloads (its refusal is walked as the reports page's 'refused report')",
    "web.preview_asset": "JSON for the hand-over screen's preview (walked inside 'hand-over with previews')",
    "web.preview_person": "JSON for the hand-over screen's preview (walked inside 'hand-over with previews')",
}


def seed_full(app) -> Sample:
    """Every list with something in it: loans (open, returned, overdue, batch), requests in the queue and
    approved, bookings this week, an open and a closed stocktake, queued e-mails."""
    stock(app, *[f"YS-NB-{n:04d}" for n in range(1, 9)], center="JJ")
    stock(app, "YS-VC-0001", center="YS", category="vc_kit", accessories=["camera", "speaker"])
    sample = Sample()
    with app.app_context():
        directory = get_directory()
        today = fleet_today()
        loan = loans.hand_over(directory, loans.HandoverOrder("YS-NB-0001", "emp1", accessories=["charger"]),
                               IT_PRINCIPAL)
        late = loans.hand_over(directory, loans.HandoverOrder("YS-NB-0004", "emp3"), IT_PRINCIPAL,
                               now=loan.checked_out_at - timedelta(days=200))
        returned = loans.hand_over(directory, loans.HandoverOrder("YS-NB-0005", "emp2"), IT_PRINCIPAL)
        loans.take_back(returned, IT_PRINCIPAL, condition="good", accessories_returned=["charger"], data_wiped=True)
        batch = loans.hand_over_many(directory, [loans.HandoverOrder("YS-NB-0006", "emp4"),
                                                 loans.HandoverOrder("YS-NB-0007", "emp5")], IT_PRINCIPAL,
                                     note="비상 근무")
        create_request("emp2", reason="childcare", note="어린이집 하원")
        approved = create_request("emp3", reason="pregnancy")
        requests.approve_request(approved, IT_PRINCIPAL, "본관에서 수령")
        start = local_midnight(today)  # a whole day may start today: in this week's timeline and the day list
        reservations.book(directory, IT_PRINCIPAL, center="JJ", category="laptop", quantity=1, person="emp1",
                          starts_at=start, ends_at=start + timedelta(days=1), purpose="출장")
        open_take = stocktakes.start_stocktake(IT_PRINCIPAL, "JJ")
        stocktakes.scan(open_take, IT_PRINCIPAL, "YS-NB-0002")
        closed = stocktakes.start_stocktake(IT_PRINCIPAL, "YS")
        stocktakes.scan(closed, IT_PRINCIPAL, "YS-VC-0001")
        stocktakes.close_stocktake(closed, IT_PRINCIPAL)
        db.session.commit()
        sample.loan_id, sample.returned_loan_id, sample.batch_id = loan.id, returned.id, batch.id
        sample.open_stocktake_id, sample.closed_stocktake_id = open_take.id, closed.id
        assert late.id
    return sample


def seed_empty(app) -> Sample:
    """Centers only: every list is empty (pick lists need a center)."""
    stock(app, center="JJ")
    stock(app, center="YS")
    return Sample()


@dataclass
class Finding:
    phase: str
    role: str | None
    lang: str
    width: int
    state: str
    url: str
    rule: str
    impact: str | None
    targets: list = field(default_factory=list)

    def line(self) -> str:
        return (f"[{self.rule} ({self.impact})] {self.state} · {self.role or 'anonymous'} · {self.lang} · "
                f"{self.width}px · {self.url}: {', '.join(map(str, self.targets[:3]))}")
