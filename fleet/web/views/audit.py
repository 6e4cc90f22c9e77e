"""Auditors: reports, the event log with its verification, checking a PDF against the register."""

from __future__ import annotations

import json

from flask import render_template, request
from sqlalchemy import select

from fleet.errors import FleetError
from fleet.extensions import db
from fleet.models import Center
from fleet.services import documents, events
from fleet.services.audit_reports import REPORTS
from fleet.web.views.common import bp, page


@bp.route("/audit")
@page("it", "auditor")
def audit_home(principal):
    centers = db.session.execute(select(Center).order_by(Center.code)).scalars().all()
    return render_template("audit/reports.html", reports=list(REPORTS), centers=centers)


@bp.route("/audit/events")
@page("it", "auditor")
def audit_events(principal):
    cursor = request.args.get("cursor") or None
    try:
        result = events.list_events(limit=100, cursor=cursor, actor=request.args.get("actor") or None)
    except FleetError:
        result = events.list_events(limit=100)
    return render_template("audit/events.html", events=result.items, next_cursor=result.next_cursor,
                           check=events.verify_chain(), parse=json.loads)


@bp.route("/audit/verify", methods=["GET", "POST"])
@page("it", "auditor")
def audit_verify(principal):
    if request.method == "GET":
        return render_template("audit/verify.html", checked=False)
    upload = request.files.get("file")
    content = upload.read() if upload else b""
    try:
        document = documents.verify_pdf(content)
    except FleetError as exc:
        return render_template("audit/verify.html", checked=False, error=exc.detail), 422
    return render_template("audit/verify.html", checked=True, document=document,
                           filename=upload.filename if upload else "")
