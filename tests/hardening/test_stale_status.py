"""A loss reported at the moment the loan closes: 409, not 500.

Found by the storm (tests/hardening/storm.py) on PostgreSQL: `POST /assets/{tag}/status`
with `lost` reads the asset (on_loan), then looks for its active loan. When a return
commits between the two reads, there is no active loan any more, and the service's
`scalar_one()` raised NoResultFound: a 500. The test makes the same interleaving
deterministic: the return is written behind the session's back after the asset was read.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from fleet.errors import Conflict
from fleet.extensions import db
from fleet.models import Asset, Loan
from fleet.services.assets import get_asset, move_status
from fleet.services.auth import Principal
from fleet.services.events import verify_chain
from tests.api.test_loans_api import hand_over, stock
from tests.fixtures_data import IT


def test_reporting_lost_an_asset_whose_loan_just_closed_is_a_conflict(app, client, it_headers):
    stock(app, "NB-001")
    loan = hand_over(client, it_headers).get_json()
    with app.app_context():
        asset = get_asset("NB-001")
        assert asset.status == "on_loan"
        # Meanwhile another server takes the laptop back and commits.
        db.session.execute(update(Loan).where(Loan.id == loan["id"]).values(status="returned")
                           .execution_options(synchronize_session=False))
        db.session.execute(update(Asset).where(Asset.id == asset.id).values(status="in_stock")
                           .execution_options(synchronize_session=False))
        with pytest.raises(Conflict, match="now in_stock"):
            move_status(asset, Principal(IT, "IT", frozenset({"it"})), "lost", "reported lost at the desk")
        db.session.rollback()
        assert verify_chain().valid
