"""The device life cycle of PRODUCT.md, in one place."""

from __future__ import annotations

from fleet.errors import Conflict

# Moves IT staff may make by hand (POST /assets/{tag}/status). Hand-over and return make
# the moves to and from `on_loan` themselves, through fleet.services.loans.
MANUAL_TRANSITIONS: dict[str, frozenset[str]] = {
    "in_stock": frozenset({"lost", "retired"}),  # retired: disposal of old or surplus stock (불용 처분)
    "on_loan": frozenset({"lost"}),
    "quarantine": frozenset({"in_stock"}),
    "in_repair": frozenset({"in_stock", "retired"}),
    "lost": frozenset({"in_stock"}),
    "retired": frozenset(),
}

# Every move the life cycle allows, including those made by hand-over and return, and by a repair
# (fleet.services.repairs): sent to a vendor from stock or quarantine, back fixed to stock or quarantine.
TRANSITIONS: dict[str, frozenset[str]] = {
    **MANUAL_TRANSITIONS,
    "in_stock": MANUAL_TRANSITIONS["in_stock"] | {"on_loan", "in_repair"},
    "on_loan": frozenset({"in_stock", "quarantine", "in_repair", "lost"}),
    "quarantine": MANUAL_TRANSITIONS["quarantine"] | {"in_repair"},
    "in_repair": MANUAL_TRANSITIONS["in_repair"] | {"quarantine"},
}


def check_manual_move(current: str, new: str) -> None:
    """Refuse any move the life cycle does not allow, naming the current status."""
    if new == current:
        raise Conflict(f"The asset is already {current}.", code="illegal-status-move")
    if new not in MANUAL_TRANSITIONS.get(current, frozenset()):
        allowed = sorted(MANUAL_TRANSITIONS.get(current, frozenset()))
        hint = f" From {current} it can go to: {', '.join(allowed)}." if allowed else f" {current} is final."
        if new == "on_loan":
            hint = " Hand it over with POST /api/v1/loans instead."
        raise Conflict(f"An asset that is {current} cannot move to {new}.{hint}", code="illegal-status-move")
