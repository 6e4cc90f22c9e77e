"""Set-up for page and browser tests: devices in stock and hand-overs made beforehand, through the services."""

from __future__ import annotations

from fleet.extensions import db
from fleet.models import Center
from fleet.services import loans
from tests.factories import IT_PRINCIPAL, create_asset, create_center

CENTER_NAMES = {"JJ": "진잠도서관 스마트워크센터", "YS": "유성구청 본관"}


def stock(app, *tags: str, center: str = "JJ", **overrides) -> None:
    """Laptops in stock at a center (created with a Korean name if missing), through the services."""
    with app.app_context():
        if db.session.execute(db.select(Center).where(Center.code == center)).scalar_one_or_none() is None:
            create_center(code=center, name=CENTER_NAMES.get(center, center))
        for tag in tags:
            create_asset(center, asset_tag=tag, **overrides)


def hand_over(app, tag: str, assignee: str, **extra) -> tuple[int, int]:
    """A hand-over made at the desk beforehand: (loan id, handover document id)."""
    with app.app_context():
        loan = loans.hand_over(app.extensions["fleet_directory"],
                               loans.HandoverOrder(asset_tag=tag, assignee=assignee, **extra), IT_PRINCIPAL)
        db.session.commit()
        return loan.id, loan.handover_document_id
