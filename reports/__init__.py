"""PDF and CSV rendering only: plain dataclasses in, bytes out. Imports nothing from fleet."""

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
from reports.labels import Label, render_labels
from reports.tables import Column, TableReport, render_csv, render_table_report

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
    "Label",
    "render_labels",
    "Column",
    "TableReport",
    "render_csv",
    "render_table_report",
]
