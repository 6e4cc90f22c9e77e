"""The desk's dashboard: devices counted by center and status (from the (center_id, status) index)."""

from __future__ import annotations

from fleet.extensions import db
from fleet.models import Asset, Center
from fleet.services.dashboard import summarise_desk


def test_devices_are_counted_by_center_and_status_in_the_centers_order(app):
    with app.app_context():
        seoul = Center(code="SE", name="서울", kind="smart_work_center")
        busan = Center(code="BU", name="부산", kind="smart_work_center")
        empty = Center(code="ZZ", name="빈 센터", kind="smart_work_center")
        db.session.add_all([seoul, busan, empty])
        for i, (center, status) in enumerate([(seoul, "in_stock"), (seoul, "in_stock"), (seoul, "on_loan"),
                                              (busan, "in_repair"), (busan, "in_stock")]):
            db.session.add(Asset(asset_tag=f"DB-{i:03d}", category="laptop", center=center, status=status,
                                 accessories=[]))
        db.session.commit()
        summary = summarise_desk()
    counted = {c.code: (c.name, c.counts) for c in summary.centers}
    assert [c.code for c in summary.centers] == ["BU", "SE", "ZZ"]
    assert counted == {"BU": ("부산", {"in_repair": 1, "in_stock": 1}), "SE": ("서울", {"in_stock": 2, "on_loan": 1}),
                       "ZZ": ("빈 센터", {})}
