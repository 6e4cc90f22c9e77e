"""The baseline for hand-over throughput: the bare minimum of a hand-over and a return.

Hand-over: one conditional UPDATE and two INSERTs (the loan, an event) with SQLAlchemy;
return: the mirror image. No directory, no validation, no hash chain. Lives in bench/,
never in fleet/. Serve with `gunicorn bench.baseline_app:app` and BASELINE_DATABASE_URL.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

from fleet.db import writing  # the same SQLite discipline as Fleet: WAL, busy timeout, BEGIN IMMEDIATE

app = Flask(__name__)
_engines: dict[str, object] = {}


def engine():
    """Created on first request in each worker, never at import."""
    if "db" not in _engines:
        _engines["db"] = create_engine(os.environ["BASELINE_DATABASE_URL"], pool_pre_ping=True)
    return _engines["db"]

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS b_assets (id INTEGER PRIMARY KEY, status VARCHAR(16) NOT NULL)",
    "CREATE TABLE IF NOT EXISTS b_loans (id {serial} PRIMARY KEY, asset_id INTEGER NOT NULL, "
    "assignee VARCHAR(64) NOT NULL, at VARCHAR(40) NOT NULL, returned_at VARCHAR(40))",
    "CREATE TABLE IF NOT EXISTS b_events (id {serial} PRIMARY KEY, action VARCHAR(32), subject INTEGER, "
    "at VARCHAR(40))",
]


def create_schema(url: str, assets: int) -> None:
    setup = create_engine(url)
    serial = "SERIAL" if setup.dialect.name == "postgresql" else "INTEGER"
    with setup.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement.format(serial=serial)))
        conn.execute(text("DELETE FROM b_assets"))
        conn.execute(text("INSERT INTO b_assets (id, status) VALUES (:id, 'in_stock')"),
                     [{"id": i} for i in range(1, assets + 1)])
    setup.dispose()


def _now() -> str:
    return datetime.now(UTC).isoformat()


@app.post("/handover")
def handover():
    asset_id = int(request.get_json()["asset_id"])
    with writing(), engine().connect() as conn:
        moved = conn.execute(text("UPDATE b_assets SET status = 'on_loan' WHERE id = :id AND status = 'in_stock'"),
                             {"id": asset_id}).rowcount
        if moved != 1:
            conn.rollback()
            return jsonify(error="not in stock"), 409
        loan_id = conn.execute(text("INSERT INTO b_loans (asset_id, assignee, at) VALUES (:a, :u, :t) RETURNING id"),
                               {"a": asset_id, "u": request.get_json()["assignee"], "t": _now()}).scalar()
        conn.execute(text("INSERT INTO b_events (action, subject, at) VALUES ('handover', :l, :t)"),
                     {"l": loan_id, "t": _now()})
        conn.commit()
    return jsonify(id=loan_id), 201


@app.post("/loans/<int:loan_id>/return")
def take_back(loan_id: int):
    asset_id = int(request.get_json()["asset_id"])
    with writing(), engine().connect() as conn:
        moved = conn.execute(text("UPDATE b_assets SET status = 'in_stock' WHERE id = :id AND status = 'on_loan'"),
                             {"id": asset_id}).rowcount
        if moved != 1:
            conn.rollback()
            return jsonify(error="not on loan"), 409
        conn.execute(text("UPDATE b_loans SET returned_at = :t WHERE id = :l"), {"l": loan_id, "t": _now()})
        conn.execute(text("INSERT INTO b_events (action, subject, at) VALUES ('return', :l, :t)"),
                     {"l": loan_id, "t": _now()})
        conn.commit()
    return jsonify(id=loan_id), 200


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")
