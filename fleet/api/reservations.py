"""Reservations and availability: thin views over fleet.services.reservations."""

from flask.views import MethodView

from fleet.access_log.recording import filters_of, note_access
from fleet.api.common import SECURITY, documented_errors
from fleet.api.loans import loan_view
from fleet.clock import local_time, local_zone
from fleet.schemas.loans import LoanSchema
from fleet.schemas.parsing import Blueprint
from fleet.schemas.reservations import (
    AvailabilityArgsSchema,
    AvailabilitySchema,
    PickUpSchema,
    ReservationCreateSchema,
    ReservationPageSchema,
    ReservationQueryArgsSchema,
    ReservationSchema,
)
from fleet.security import get_directory, require_principal, roles_required
from fleet.services import reservations as reservation_service

blp = Blueprint("reservations", __name__, url_prefix="/api/v1",
                description="Reservations: equipment booked ahead, picked up at the desk")
errors = documented_errors(blp)


def reservation_view(reservation, principal) -> dict:
    """The purpose is for IT staff and the person only."""
    view = {"id": reservation.id, "person": reservation.person_uid, "person_name": reservation.person_name,
            "center": reservation.center.code,
            "asset_tag": reservation.asset.asset_tag if reservation.asset else None,
            "category": reservation.category, "quantity": reservation.quantity,
            "starts_at": local_time(reservation.starts_at), "ends_at": local_time(reservation.ends_at),
            "status": reservation.status,
            "attention": reservation_service.needs_attention(reservation), "booked_by": reservation.booked_by,
            "created_at": reservation.created_at, "picked_up_at": reservation.picked_up_at,
            "picked_up_by": reservation.picked_up_by, "closed_at": reservation.closed_at,
            "units": [{"asset_tag": u.asset.asset_tag, "loan_id": u.loan_id} for u in reservation.units],
            "purpose": reservation.purpose if reservation_service.can_see_purpose(reservation, principal) else None}
    return view


def _free(period) -> dict:
    return {"starts_at": local_time(period.starts_at), "ends_at": local_time(period.ends_at), "free": period.free}


def _assets_as_json(assets) -> list[dict]:
    """Each asset's free periods straight in their JSON form (AvailabilitySchema passes them through): hundreds of
    periods through marshmallow's nested fields cost more than the query that found them."""
    zone = local_zone()
    return [{"asset_tag": a.asset_tag, "status": a.status,
             "free": [{"starts_at": p.starts_at.astimezone(zone).isoformat(),
                       "ends_at": p.ends_at.astimezone(zone).isoformat(), "free": p.free} for p in a.free]}
            for a in assets]


def _one(reservation_id: int):
    principal = require_principal()
    reservation = reservation_service.get_reservation(reservation_id)
    reservation_service.check_can_read(reservation, principal)
    return reservation, principal


@blp.route("/reservations")
class Reservations(MethodView):
    @roles_required()
    @blp.arguments(ReservationQueryArgsSchema(), location="query")
    @blp.response(200, ReservationPageSchema)
    @errors(401, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Bookings, newest first: employees see their own, IT staff and auditors all."""
        principal = require_principal()
        page = reservation_service.list_reservations(principal, **args)
        note_access("search", "reservations", [r.person_uid for r in page.items], listing=True,
                    params=filters_of(args))
        return {"items": [reservation_view(r, principal) for r in page.items], "next_cursor": page.next_cursor}

    @roles_required()
    @blp.arguments(ReservationCreateSchema())
    @blp.response(201, ReservationSchema)
    @errors(400, 401, 403, 404, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Book equipment for a period: `quantity` units of a center's `category`, or (IT staff) one asset by
        `asset_tag`; for yourself, or (IT staff) for `person`.

        The person must be active and eligible in the directory now (422; 503 when it cannot be reached).
        409 naming the conflicting period when the asset is booked or on loan then, or the category is booked
        up at some moment of the period (another person's name only to IT staff). Back-to-back periods are
        fine. 422 when the end is not after the start, the start is in the past or the booking is longer than
        FLEET_MAX_BOOKING_DAYS. An employee booking an asset or for someone else gets 403.
        """
        principal = require_principal()
        reservation = reservation_service.book(get_directory(), principal, **body)
        note_access("create", f"reservation:{reservation.id}", [reservation.person_uid])
        return reservation_view(reservation, principal)


@blp.route("/reservations/<int:reservation_id>")
class ReservationById(MethodView):
    @roles_required()
    @blp.response(200, ReservationSchema)
    @errors(401, 404)
    @blp.doc(security=SECURITY)
    def get(self, reservation_id):
        """One booking. An employee sees only their own: anyone else's answers 404."""
        reservation, principal = _one(reservation_id)
        note_access("view", f"reservation:{reservation.id}", [reservation.person_uid])
        return reservation_view(reservation, principal)


@blp.route("/reservations/<int:reservation_id>/cancel")
class ReservationCancel(MethodView):
    @roles_required()
    @blp.response(200, ReservationSchema)
    @errors(401, 403, 404, 409)
    @blp.doc(security=SECURITY)
    def post(self, reservation_id):
        """Cancel a booking not yet picked up: IT staff, or the person themself (auditors 403, other
        employees 404); 409 naming its status when it is no longer booked."""
        reservation, principal = _one(reservation_id)
        note_access("change", f"reservation:{reservation.id}", [reservation.person_uid])
        return reservation_view(reservation_service.cancel(reservation, principal), principal)


@blp.route("/reservations/<int:reservation_id>/pick-up")
class ReservationPickUp(MethodView):
    @roles_required("it")
    @blp.arguments(PickUpSchema())
    @blp.response(201, LoanSchema(many=True))
    @errors(400, 401, 403, 404, 409, 422, 503)
    @blp.doc(security=SECURITY)
    def post(self, body, reservation_id):
        """Hand the booked device(s) over (IT staff), due on the day the booking ends: the hand-over's live
        directory check (422 naming why; 503 when the directory is down), handover form and events. A booking
        of units needs `asset_tags`: the units the desk scanned, exactly `quantity` (several: one batch form).
        409 when the booking is not `booked`, starts on a later day or has ended, or an asset is not in stock."""
        reservation, principal = _one(reservation_id)
        note_access("create", f"reservation:{reservation.id}", [reservation.person_uid])
        loans = reservation_service.pick_up(get_directory(), reservation, principal, **body)
        return [loan_view(loan) for loan in loans]


@blp.route("/availability")
class Availability(MethodView):
    @roles_required()
    @blp.arguments(AvailabilityArgsSchema(), location="query")
    @blp.response(200, AvailabilitySchema)
    @errors(401, 422)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The free periods of a center's category between `from` and `to` (at most 92 days): how many units
        are free in each piece of time; with `per_asset=true` each asset's own free periods too."""
        result = reservation_service.availability(args["center"], args["category"], args["from_"], args["to"],
                                                  per_asset=args["per_asset"])
        return {"center": result.center.code, "category": result.category, "from_": local_time(result.starts_at),
                "to": local_time(result.ends_at), "units": result.units,
                "free": [_free(p) for p in result.free],
                "assets": None if result.assets is None else _assets_as_json(result.assets)}
