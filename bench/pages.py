"""`python -m bench --only pages`: every server-rendered page of the three roles as the data grows.

Two SQLite databases filled in bulk (as bench/scale.py does): a small one and one 30 × as large (30,000 assets,
100,000 events, 10,000 loans, 20,000 bookings, 10,000 e-mails, 3,000 requests in the full run). Each page is loaded
through the app in process, with the session cookie of its role, alternately on the two databases (so that a busy
machine weighs on both alike), and so is the JSON list of the same data (a bearer token), in three rounds of 50
loads. Figures: each page's p95 (the best of the rounds), its growth (p95 large ÷ small; a page that reads all rows
grows with them) and its p95 ÷ the API's p95.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from bench.scale import bulk_events, make_app, percentile
from fleet.security import SESSION_COOKIE

EMPLOYEE = "u00042"
# (name, role, page, JSON list of the same data)
PAGES = [
    ("dashboard", "it", "/desk", "/api/v1/loans?active=true&limit=50"),
    ("assets", "it", "/assets", "/api/v1/assets?limit=50"),
    ("asset_detail", "it", "/assets/PG-00007", "/api/v1/assets/PG-00007/history?limit=50"),
    ("loans", "it", "/loans", "/api/v1/loans?active=true&limit=100"),
    ("queue", "it", "/desk/requests", "/api/v1/requests?status=pending&limit=50"),
    ("bookings_week", "it", "/desk/bookings?center=C00", "/api/v1/reservations?center=C00&limit=50"),
    ("bookings_day", "it", "/desk/bookings/day?center=C00", "/api/v1/reservations?center=C00&limit=50"),
    ("outbox", "it", "/desk/outbox", "/api/v1/notifications?limit=100"),
    ("reports", "auditor", "/audit", "/api/v1/centers"),
    ("event_log", "auditor", "/audit/events", "/api/v1/events?limit=100"),
    ("my_loans", "employee", "/me", "/api/v1/loans?limit=50"),
    ("my_bookings", "employee", "/me/bookings", "/api/v1/reservations?limit=50"),
]
ROLES = {"it": ("bench-it", ["employee", "it"]), "auditor": ("bench-audit", ["employee", "auditor"]),
         "employee": (EMPLOYEE, ["employee"])}


def fill(app, assets: int) -> None:
    """`assets` devices in 10 centers; a third as many loans (a third of them open), two thirds as many bookings,
    a third as many e-mails, a tenth as many requests (at least 300); EMPLOYEE has the same few at every size, and
    the desk's center the same bookings this week, so that each page shows as many rows at both sizes. Events:
    see bulk_events."""
    from fleet.clock import local_today
    from fleet.extensions import db
    from fleet.models import Asset, Center, Loan, LoanRequest, Notification, Reservation

    rng = random.Random(24)
    now = datetime.now(UTC)
    categories = ("laptop", "monitor", "vc_kit", "dock")

    def chunks(model, rows):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start:start + 5000])

    with app.app_context():
        today = local_today()
        chunks(Center, [{"code": f"C{c:02d}", "name": f"센터 {c}", "kind": "smart_work_center", "created_at": now,
                         "updated_at": now} for c in range(10)])
        loans = assets // 3
        chunks(Asset, [{"asset_tag": f"PG-{i:05d}", "serial_number": f"SN{i:08d}", "category": categories[i % 4],
                        "manufacturer": "LG", "model": "gram 16", "center_id": 1 + i % 10,
                        "status": "on_loan" if i < loans // 3 else "in_stock", "accessories": [],
                        "created_at": now, "updated_at": now} for i in range(assets)])
        # EMPLOYEE's own: the same 20 loans and 15 bookings at every size (a person's, not the fleet's)
        chunks(Loan, [{"asset_id": 1 + (i if i < loans // 3 else i % assets), "center_id": 1 + i % 10,
                       "status": "active" if i < loans // 3 else "returned",
                       "assignee_uid": EMPLOYEE if i % (loans // 20) == 0 else f"u{1000 + i % 9000:05d}",
                       "assignee_name": "직원", "issued_by": "u00000", "checked_out_at": now - timedelta(days=i % 300),
                       "returned_at": None if i < loans // 3 else now - timedelta(days=i % 300) + timedelta(days=3),
                       "due_date": today + timedelta(days=30 - i % 60), "accessories_out": []}
                      for i in range(loans)])
        midnight = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
        rows = []
        # the desk's center C00: the same 40 bookings this week (10 of them today) at every size; the rest of the
        # bookings over the other centers and two years
        for i in range(assets * 2 // 3):
            if i < 40:
                center, starts = 1, midnight + timedelta(days=i // 10 if i >= 10 else 0, hours=8 + i % 10)
            else:
                center, starts = 2 + i % 9, midnight + timedelta(hours=rng.randrange(-365 * 24, 365 * 24))
            rows.append({"person_uid": EMPLOYEE if i % (assets * 2 // 3 // 15) == 1 else f"u{rng.randrange(10000):05d}",
                         "person_name": "직원", "center_id": center, "asset_id": None,
                         "category": categories[i % 4], "quantity": 1, "starts_at": starts,
                         "ends_at": starts + timedelta(hours=rng.choice((2, 4, 24))),
                         "status": "booked" if starts > now else "returned", "booked_by": "u00000",
                         "created_at": now, "updated_at": now})
        chunks(Reservation, rows)
        chunks(Notification, [{"kind": "handover_receipt", "recipient_uid": f"u{i % 10000:05d}",
                               "to_address": "x@example.org", "language": "ko", "data": {"loan_id": 1 + i % loans},
                               "status": ("sent", "queued", "failed")[i % 3], "attempts": 1, "next_attempt_at": now,
                               "created_at": now} for i in range(assets // 3)])
        chunks(LoanRequest, [{"requester_uid": f"u{1000 + i % 9000:05d}", "requester_name": "직원",
                              "category": categories[i % 4], "reason": "new_hire", "priority": 1 + i % 3,
                              "center_id": 1 + i % 10, "needed_from": today + timedelta(days=i % 30),
                              "status": ("pending", "approved", "rejected")[i % 3],
                              "created_at": now - timedelta(minutes=i)} for i in range(max(300, assets // 10))])
        db.session.commit()
    bulk_events(app, assets * 10 // 3)


def _token(app, uid: str, roles: list[str], kind: str = "api") -> str:
    """A live session of `uid` (`api`: a bearer token; `page`: the secret of the page session's cookie)."""
    from fleet.extensions import db
    from fleet.models import ApiToken

    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(ApiToken(token_hash=hashlib.sha256(token.encode()).hexdigest(), kind=kind, uid=uid, name="벤치",
                                roles=",".join(roles), created_at=now, expires_at=now + timedelta(hours=2)))
        db.session.commit()
    return token


def page_scale(record, sizes: tuple[int, int], loads: int = 50, rounds: int = 3) -> None:
    from fleet.extensions import db

    apps, pages, apis = {}, {}, {}
    for size in sizes:
        tmp = tempfile.mkdtemp(prefix="fleet-bench-pages-")
        t0 = time.perf_counter()
        apps[size] = app = make_app(f"sqlite:///{tmp}/pages.sqlite")
        fill(app, size)
        print(f"  (filled {size:,} assets in {time.perf_counter() - t0:.1f} s)", flush=True)
        for role, (uid, roles) in ROLES.items():
            client = app.test_client()
            client.set_cookie(SESSION_COOKIE, _token(app, uid, roles, kind="page"))  # a server-side page session
            pages[size, role] = client
            apis[size, role] = (app.test_client(), {"Authorization": f"Bearer {_token(app, uid, roles)}"})
    def round_of(role: str, page_url: str, api_url: str) -> dict[tuple[int, str], float]:
        """p95 of `loads` loads of the page and of its API list at each size, the sizes alternating."""
        timings: dict[tuple[int, str], list[float]] = {(size, kind): [] for size in sizes for kind in ("page", "api")}
        for i in range(loads + 5):
            for size in sizes:
                t0 = time.perf_counter()
                response = pages[size, role].get(page_url)
                t1 = time.perf_counter()
                assert response.status_code == 200, (page_url, response.status_code, response.get_data(as_text=True))
                client, headers = apis[size, role]
                answer = client.get(api_url, headers=headers)
                t2 = time.perf_counter()
                assert answer.status_code == 200, (api_url, answer.get_data(as_text=True))
                if i >= 5:  # warm-up first
                    timings[size, "page"].append(t1 - t0)
                    timings[size, "api"].append(t2 - t1)
        return {key: percentile(values, 95) * 1000 for key, values in timings.items()}

    growth, to_api = {}, {}
    for name, role, page_url, api_url in PAGES:
        # The best p95 of `rounds` rounds: another session's burst on a shared machine only ever adds time, and a
        # page that reads every row is slow in every round.
        measured = [round_of(role, page_url, api_url) for _ in range(rounds)]
        p95 = {key: min(r[key] for r in measured) for key in measured[0]}
        small, large = sizes
        growth[name] = p95[large, "page"] / p95[small, "page"]
        to_api[name] = p95[large, "page"] / p95[large, "api"]
        record(f"page_p95_ms_{name}_{small}", round(p95[small, "page"], 2), f"page {name} ({page_url}) p95, "
               f"{small:,} assets", "ms")
        record(f"page_p95_ms_{name}_{large}", round(p95[large, "page"], 2), f"  at {large:,} assets", "ms")
        record(f"page_growth_{name}", round(growth[name], 2), "  growth (target <= 1.5)", "")
        record(f"page_to_api_{name}", round(to_api[name], 2), f"  ÷ {api_url} p95 (target <= 5)", "")
    for label, figures in (("growth", growth), ("page ÷ API", to_api)):
        worst = sorted(figures.items(), key=lambda item: -item[1])[:3]
        print(f"  worst three by {label}: " + ", ".join(f"{name} {value:.2f}" for name, value in worst), flush=True)
    record("page_growth_worst", round(max(growth.values()), 2), "worst page growth (target <= 1.5)", "")
    record("page_to_api_worst", round(max(to_api.values()), 2), "worst page ÷ API (target <= 5)", "")
    for app in apps.values():
        with app.app_context():
            db.session.execute(text("SELECT 1"))
            db.engine.dispose()
