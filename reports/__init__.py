"""PDF and CSV rendering only: plain dataclasses in, bytes out. Imports nothing from fleet.

Importing is cheap: the Nanum fonts are registered on the first render. The same
dataclass always renders to the same bytes (given the same font files and library
versions), so a document registered by its SHA-256 can be rendered again and match.
"""

from reports.forms import (
    AssetLine,
    BatchHandoverForm,
    BatchLine,
    HandoverForm,
    Party,
    ReturnForm,
    render_batch_handover,
    render_handover,
    render_return,
)
from reports.incidents import TheftReport, render_theft_report
from reports.labels import Label, render_labels
from reports.stocktake import StocktakeItem, StocktakeReport, render_stocktake
from reports.tables import Column, TableReport, iter_csv, render_csv, render_table_report

__all__ = [
    "AssetLine",
    "BatchHandoverForm",
    "BatchLine",
    "HandoverForm",
    "Party",
    "ReturnForm",
    "render_batch_handover",
    "render_handover",
    "render_return",
    "TheftReport",
    "render_theft_report",
    "Label",
    "render_labels",
    "StocktakeItem",
    "StocktakeReport",
    "render_stocktake",
    "Column",
    "TableReport",
    "iter_csv",
    "render_csv",
    "render_table_report",
]
