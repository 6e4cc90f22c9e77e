"""Models, one file per aggregate. Importing this package registers every table (the access log's too: its
model lives in its own package, fleet/access_log)."""

from fleet.access_log.model import AccessCheckpoint, AccessEntry, AccessHead
from fleet.models.asset import CATEGORIES, MAX_COST, STATUSES, Asset
from fleet.models.center import CENTER_KINDS, Center
from fleet.models.disposal import Disposal
from fleet.models.document import DOCUMENT_KINDS, Document
from fleet.models.event import GENESIS_HASH, Event, EventCheckpoint, EventHead
from fleet.models.extension import EXTENSION_STATUSES, LoanExtension
from fleet.models.incident import INCIDENT_KINDS, INCIDENT_RESOLUTIONS, INCIDENT_STATUSES, Incident
from fleet.models.inspection import INSPECTION_RESULTS, Inspection
from fleet.models.leaver import LeaverFinding
from fleet.models.loan import LOAN_STATUSES, Loan, LoanBatch
from fleet.models.notification import NOTIFICATION_KINDS, NOTIFICATION_STATUSES, Notification
from fleet.models.repair import REPAIR_RESULTS, REPAIR_STATUSES, Repair
from fleet.models.request import OPEN_REQUEST_STATUSES, REASONS, REQUEST_STATUSES, LoanRequest
from fleet.models.reservation import HOLDING_STATUSES, RESERVATION_STATUSES, Reservation, ReservationUnit
from fleet.models.stocktake import Stocktake, StocktakeScan
from fleet.models.token import SESSION_KINDS, ApiToken

__all__ = [
    "CATEGORIES", "MAX_COST", "STATUSES", "Asset", "CENTER_KINDS", "Center", "DOCUMENT_KINDS", "Document",
    "GENESIS_HASH", "Event", "EventCheckpoint", "EventHead", "LeaverFinding", "LOAN_STATUSES", "Loan", "LoanBatch",
    "OPEN_REQUEST_STATUSES", "REASONS", "REQUEST_STATUSES", "LoanRequest", "Stocktake",
    "StocktakeScan", "ApiToken", "SESSION_KINDS", "NOTIFICATION_KINDS", "NOTIFICATION_STATUSES", "Notification",
    "HOLDING_STATUSES", "RESERVATION_STATUSES", "Reservation", "ReservationUnit",
    "REPAIR_RESULTS", "REPAIR_STATUSES", "Repair", "Disposal",
    "INSPECTION_RESULTS", "Inspection", "EXTENSION_STATUSES",
    "LoanExtension", "INCIDENT_KINDS", "INCIDENT_RESOLUTIONS", "INCIDENT_STATUSES", "Incident",
    "AccessCheckpoint", "AccessEntry", "AccessHead",
]
