"""Asset label sheets for a center or a list of tags."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

import reports
from fleet.db import utcnow
from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import Asset, Center, Document
from fleet.services.assets import normalise_tag
from fleet.services.auth import Principal
from fleet.services.clock import format_local
from fleet.services.documents import CATEGORY_LABELS, register_pdf

MAX_LABELS = 1000


def issue_labels(principal: Principal, *, center: str | None = None, tags: list[str] | None = None) -> Document:
    """A registered label sheet: name a center or list tags, not both; unknown tags are named."""
    if bool(center) == bool(tags):
        raise ValidationFailed("Name a center or list tags (not both).",
                               errors={"center": ["Give center or tags."], "tags": ["Give center or tags."]})
    if center:
        row = db.session.execute(select(Center).where(Center.code == center)).scalar_one_or_none()
        if row is None:
            raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
        assets = list(db.session.execute(select(Asset).where(Asset.center_id == row.id).order_by(Asset.asset_tag)
                                         .limit(MAX_LABELS + 1)).scalars())
    else:
        wanted = list(dict.fromkeys(normalise_tag(t) for t in tags if t.strip()))
        if len(wanted) > MAX_LABELS:
            raise ValidationFailed(f"At most {MAX_LABELS} labels at once.", errors={"tags": ["Too many."]})
        found = {a.asset_tag: a for a in db.session.execute(select(Asset).where(Asset.asset_tag.in_(wanted))).scalars()}
        unknown = [t for t in wanted if t not in found]
        if unknown:
            raise ValidationFailed(f"Unknown asset tags: {', '.join(unknown[:20])}.",
                                   errors={"tags": [f"Unknown: {t}" for t in unknown[:20]]})
        assets = [found[t] for t in wanted]
    if len(assets) > MAX_LABELS:
        raise ValidationFailed(f"At most {MAX_LABELS} labels at once; list tags instead.",
                               errors={"center": ["Too many assets."]})
    if not assets:
        raise ValidationFailed("There are no assets to label.", errors={"center": ["No assets."]})
    now = utcnow()
    labels = [reports.Label(a.asset_tag, f"{CATEGORY_LABELS.get(a.category, a.category)} · {a.model or ''} · "
                                         f"{a.center.name}", f"fleet:asset:{a.asset_tag}") for a in assets]
    content = reports.render_labels(labels, current_app.config["FLEET_ORG_NAME"], format_local(now))
    subject = f"center:{center}" if center else "tags"
    return register_pdf("labels", subject, f"Asset labels ({len(labels)})", f"labels-{center or 'tags'}.pdf",
                        content, principal.uid, now=now)
