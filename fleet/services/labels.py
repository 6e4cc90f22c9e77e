"""Asset label sheets for a center or a list of tags."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

import reports
from fleet.clock import format_local
from fleet.db import utcnow
from fleet.errors import ValidationFailed
from fleet.extensions import db
from fleet.models import Asset, Center, Document
from fleet.services.assets import TAG_PATTERN, normalise_tag
from fleet.services.auth import Principal
from fleet.services.centers import CODE_PATTERN
from fleet.services.documents import CATEGORY_LABELS, register_pdf, rendering_without_the_write_lock
from fleet.services.signatures import signed_line

MAX_LABELS = 1000
SHOWN = 20  # unknown tags named in a refusal


def _title(asset: Asset) -> str:
    """One short line under the tag (a label has room for about 25 characters): the model and the home center."""
    model = f"{asset.manufacturer or ''} {asset.model or ''}".strip()
    return f"{model or CATEGORY_LABELS.get(asset.category, asset.category)} · {asset.center.code}"


def _assets_to_label(center: str | None, tags: list[str] | None) -> list[Asset]:
    if bool(center) == bool(tags):
        raise ValidationFailed("Name a center or list tags (not both).",
                               errors={"center": ["Give center or tags."], "tags": ["Give center or tags."]})
    if center:
        row = db.session.execute(select(Center).where(Center.code == center)).scalar_one_or_none() \
            if CODE_PATTERN.match(center) else None
        if row is None:
            raise ValidationFailed(f"There is no center {center!r}.", errors={"center": ["Unknown center."]})
        assets = list(db.session.execute(select(Asset).where(Asset.center_id == row.id).order_by(Asset.asset_tag)
                                         .limit(MAX_LABELS + 1)).scalars())
        if len(assets) > MAX_LABELS:
            raise ValidationFailed(f"At most {MAX_LABELS} labels at once; list tags instead.",
                                   errors={"center": ["Too many assets."]})
        if not assets:
            raise ValidationFailed(f"The center {center!r} has no assets to label.", errors={"center": ["No assets."]})
        return assets
    wanted = list(dict.fromkeys(normalise_tag(t) for t in tags if t.strip()))
    if len(wanted) > MAX_LABELS:
        raise ValidationFailed(f"At most {MAX_LABELS} labels at once.", errors={"tags": ["Too many."]})
    # A tag that could never have been registered is simply unknown; it is not sent to the database.
    possible = [t for t in wanted if TAG_PATTERN.match(t)]
    found = {a.asset_tag: a for a in db.session.execute(select(Asset).where(Asset.asset_tag.in_(possible))).scalars()}
    unknown = [t for t in wanted if t not in found]
    if unknown:
        more = f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else ""
        raise ValidationFailed(f"Unknown asset tags: {', '.join(unknown[:SHOWN])}{more}.",
                               errors={"tags": [f"Unknown: {t}" for t in unknown[:SHOWN]]})
    return [found[t] for t in wanted]


def issue_labels(principal: Principal, *, center: str | None = None, tags: list[str] | None = None) -> Document:
    """A registered label sheet (at most 1,000 labels): name a center or list tags, not both; unknown tags are named."""
    with rendering_without_the_write_lock():
        assets = _assets_to_label(center, tags)
        now = utcnow()
        labels = [reports.Label(a.asset_tag, _title(a), f"fleet:asset:{a.asset_tag}") for a in assets]
        content = reports.render_labels(labels, current_app.config["FLEET_ORG_NAME"], format_local(now),
                                        signed_line())
    subject = f"center:{center}" if center else "tags"
    return register_pdf("labels", subject, f"Asset labels ({len(labels)})", f"labels-{center or 'tags'}.pdf",
                        content, principal.uid, now=now)
