"""What the services say, in the reader's language.

Services speak plain English sentences (the API's `detail` and field errors). The pages
show them translated: each template below mirrors a service sentence, with `%(name)s`
where the service puts a value. A sentence that matches no template is shown as it is,
so a new service message is never lost, only left in English until it is added here.
Values that are codes of the domain (statuses, categories, reasons) are translated too.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from flask_babel import get_locale, gettext

from fleet.i18n import N_, VALUES, label

TEMPLATES = (
    # A batch names the row first, and the rest is translated on its own. These come first, before
    # templates that begin with a value (`%(name)s (%(uid)s) is disabled…`) could swallow "Row 1: ".
    N_("Row %(row)s: %(detail)s Nothing was handed over."),
    N_("Row %(row)s: %(detail)s"),
    N_("%(detail)s Nothing was swapped."),
    # log-in, roles, forms
    N_("The user name or password is wrong, or the account is disabled."),
    N_("The form has expired or did not come from Fleet. Reload the page and try again."),
    N_("This needs the role %(roles)s."),
    N_("The token is unknown, expired or revoked. Log in again."),
    # the directory
    N_("The staff directory cannot be reached; nothing is handed over until it answers again."),
    N_("The staff directory cannot be reached: no FLEET_LDAP_URI is configured."),
    N_("The staff directory cannot be used safely: %(cause)s. Nothing is handed over until it is fixed."),
    N_("The staff directory requires an encrypted connection before it takes a password "
       "(use ldaps:// in FLEET_LDAP_URI or set FLEET_LDAP_STARTTLS=true)."),
    N_("The staff directory is not used: %(why)s"),
    N_("The person %(uid)s does not exist in the directory."),
    N_("%(name)s (%(uid)s) is disabled in the directory and cannot receive a device."),
    N_("%(name)s (%(uid)s) is not eligible to borrow devices."),
    N_("Nobody with the user name %(uid)s is in the directory."),
    N_("%(uid)s is not an active person in the directory."),
    N_("The person does not exist in the directory."),
    N_("The person is disabled in the directory."),
    N_("The person is not eligible to borrow devices."),
    N_("Not an active person in the directory."),
    # assets
    N_("No asset has the tag %(tag)s."),
    N_("An asset with the tag %(tag)s exists already."),
    N_("Asset %(tag)s is %(status)s, not in_stock: it cannot be handed over."),
    N_("Asset %(tag)s is already on an open loan."),
    N_("Asset %(tag)s changed meanwhile; it is now %(status)s."),
    N_("Asset %(tag)s is %(status)s, not %(expected)s."),
    N_("Asset %(tag)s is not on an open loan."),
    N_("An asset that is %(current)s cannot move to %(new)s. From %(here)s it can go to: %(allowed)s."),
    N_("An asset that is %(current)s cannot move to %(new)s. %(here)s is final."),
    N_("An asset that is %(current)s cannot move to %(new)s. Hand it over with POST /api/v1/loans instead."),
    N_("The asset is already %(status)s."),
    N_("Unknown status %(status)s."),
    N_("Give a reason for the move."),
    # the access log
    N_("Give a reason for the download: it holds personal data."),
    N_("The reason is too long."),
    N_("Give the month as YYYY-MM."),
    N_("Only a month that is over can be signed off."),
    N_("The review of %(month)s was signed off already (event %(seq)s)."),
    N_("Say how the data was wiped before releasing the laptop."),
    N_("There is no center %(code)s."),
    N_("A center with the code %(code)s exists already."),
    N_("Some fields are not valid; see errors."),
    N_("A date or the cost is not valid."),
    # CSV import
    N_("Choose a CSV file."),
    N_("The file must be UTF-8 text."),
    N_("The file is empty: it needs a header row and at least one asset."),
    N_("The file is not valid CSV: %(why)s."),
    N_("Nothing was imported: %(count)s problem(s) in the file."),
    # field errors
    N_("Required."),
    N_("Not a date (YYYY-MM-DD)."),
    N_("Not a number."),
    N_("Must be 0 or more."),
    N_("Must be at most %(limit)s."),
    N_("Must be between %(first)s and %(last)s."),
    N_("Must not be before the purchase date."),
    N_("Must be today or later."),
    N_("Must be today or earlier."),
    N_("Must not be before needed_from."),
    N_("Must not be before from."),
    N_("Must not be empty."),
    N_("Unknown center."),
    N_("Unknown request."),
    N_("Already taken."),
    N_("Listed twice."),
    N_("Required when damaged."),
    N_("Required to release from quarantine."),
    N_("1 to 64 letters, digits, . _ / or -, starting with a letter or digit."),
    N_("Must be one of: %(values)s."),
    N_("Empty."),
    N_("Empty upload."),
    N_("Not a PDF."),
    # loans
    N_("List at least one loan."),
    N_("Write one device per line: the asset tag, then the user name."),
    N_("There is no batch %(id)s."),
    N_("The due date is in the past."),
    N_("The due date or request number is not valid."),
    N_("An asset can be handed over only once: %(tags)s."),
    N_("Loan %(number)s is already %(status)s."),
    N_("The condition must be good or damaged."),
    N_("Describe the damage."),
    N_("These were not handed over with the loan: %(names)s."),
    N_("Say why the device is lost."),
    N_("There is no loan %(ref)s."),
    # notifications
    N_("Notification %(id)s is %(status)s; only a failed one can be retried."),
    N_("There is no notification %(id)s."),
    # requests
    N_("%(name)s already has an open request for a %(category)s; cancel it first."),
    N_("Request %(id)s is %(status)s; it cannot become %(new)s."),
    N_("Request %(id)s is for a %(category)s, not a %(other)s."),
    N_("Request %(id)s was made by %(uid)s, not %(other)s."),
    N_("There is no request %(id)s."),
    N_("Only IT staff or the requester may cancel a request."),
    N_("Longer than maximum length %(max)s."),
    N_("Give the dates as YYYY-MM-DD."),
    # reservations
    N_("Asset %(tag)s is booked by %(who)s from %(period)s."),
    N_("Asset %(tag)s is booked from %(period)s."),
    N_("Asset %(tag)s is booked for someone else %(period)s: hand it over due before that booking starts, or "
       "hand over another asset."),
    N_("Booked %(period)s."),
    N_("Overlaps the booking %(period)s."),
    N_("Only %(free)s of %(units)s %(category)s unit(s) at %(center)s are free from %(period)s."),
    N_("%(center)s has %(units)s usable %(category)s unit(s); %(n)s cannot be booked."),
    N_("Asset %(tag)s is on loan until %(day)s; the booking starts %(when)s."),
    N_("Asset %(tag)s is in repair: it cannot be booked."),
    N_("Asset %(tag)s is %(status)s: it cannot be booked."),
    N_("Must be after starts_at."),
    N_("Must not be in the past (a whole day may start today)."),
    N_("A booking lasts at most %(n)s days."),
    N_("Give an asset tag, or a center and a category."),
    N_("Only IT staff book a specific asset; book a category."),
    N_("Only IT staff book for someone else."),
    N_("Give the days as YYYY-MM-DD and the times as HH:MM."),
    N_("Reservation %(id)s is %(status)s; it cannot become %(new)s."),
    N_("Reservation %(id)s is %(status)s; it cannot be picked up."),
    N_("Scan %(n)s different asset tag(s) for this booking."),
    N_("Some asset tags cannot be handed over for this booking; see errors."),
    N_("There is no reservation %(id)s."),
    # extensions
    N_("The new due date must be after the loan's due date %(due)s."),
    N_("Must be after %(due)s."),
    N_("A loan lasts at most %(days)s days from its hand-over: the latest due date for %(number)s is %(day)s."),
    N_("At most %(day)s (%(days)s days from the hand-over)."),
    N_("Asset %(tag)s is booked for someone else %(period)s: the loan can be extended to the day that booking "
       "starts at the latest."),
    N_("Only the assignee or IT staff ask for an extension."),
    N_("Say why the loan should be extended."),
    N_("At most %(n)s characters."),
    N_("Loan %(number)s is %(status)s: it cannot be extended."),
    N_("Loan %(number)s already has a pending extension: approve or reject it first."),
    N_("An extension is pending."),
    N_("Only IT staff decide on an extension."),
    N_("The assignee cannot decide on their own extension; another member of IT staff does."),
    N_("Extension %(id)s is %(status)s; it cannot become %(new)s."),
    N_("The extension is %(status)s."),
    N_("There is no extension %(id)s."),
    N_("Give the date as YYYY-MM-DD."),
    N_("Not a date."),
    # swaps and incident reports
    N_("Scan the replacement's asset tag."),
    N_("The replacement must be another asset."),
    N_("The same asset."),
    N_("Incident %(id)s is about another loan."),
    N_("The incident number is not valid."),
    N_("Only the assignee reports an incident of their loan."),
    N_("Give the time with its offset."),
    N_("Must not be in the future."),
    N_("Must not be before the hand-over."),
    N_("Loan %(number)s is %(status)s: report to the IT desk in person."),
    N_("Incident %(id)s is %(status)s."),
    N_("The incident is %(status)s."),
    N_("Say how the incident was resolved."),
    N_("Incident %(id)s reports damage: only a theft or a loss has a report to print."),
    N_("There is no incident %(id)s."),
    N_("Give the day as YYYY-MM-DD and the time as HH:MM."),
    N_("Not a day and time."),
    # documents, signatures, reports
    N_("Upload a PDF file."),
    N_("The upload is not a PDF."),
    N_("The upload is too large."),
    N_("Too many log-in attempts. Wait a moment (see Retry-After) and try again."),
    N_("Only handover and return forms are signed."),
    N_("Draw at least one signature."),
    N_("A typed name is not the name on the form."),
    N_("Type the name as printed on the form."),
    N_("The signature is not a PNG image."),
    N_("The signature could not be read."),
    N_("There is no document %(id)s."),
    N_("The period ends before it starts."),
    N_("The date is in the future."),
    # stocktakes and labels
    N_("Scan an asset tag."),
    N_("Stocktake %(id)s is closed."),
    N_("There is no stocktake %(id)s."),
    N_("There are no assets to label."),
    # HTTP
    N_("The requested URL was not found on the server. If you entered the URL manually please check your "
       "spelling and try again."),
    N_("The method is not allowed for the requested URL."),
    # repairs, disposal, inspections
    N_("Asset %(tag)s is on loan: take it back or swap it first, then send it to repair."),
    N_("Asset %(tag)s is %(status)s: only an asset in stock, in quarantine or in repair can go to a vendor."),
    N_("Asset %(tag)s is already at a vendor (an open repair); close that one first."),
    N_("Asset %(tag)s is at a vendor (an open repair): close the repair instead."),
    N_("Repair %(id)s is closed already (%(result)s)."),
    N_("Repair %(id)s was closed meanwhile."),
    N_("There is no repair %(id)s."),
    N_("The cost is not a number."),
    N_("The cost must be between 0 and %(limit)s."),
    N_("Name the vendor."),
    N_("Describe the fault."),
    N_("Must not be in the future."),
    N_("Must not be before the asset was sent (sent_at)."),
    N_("Not a number."),
    N_("Not a date (YYYY-MM-DD)."),
    N_("Not a whole number."),
    N_("Give the reason for the disposal."),
    N_("Say what needs repair."),
    N_("Required when it needs repair."),
    N_("Asset %(tag)s is %(status)s: it cannot be inspected."),
    N_("List at least one asset."),
    N_("Only assets in stock can be disposed of; not in stock: %(named)s. Nothing was retired."),
    N_("Nothing was retired: no asset has the tag %(tags)s."),
    N_("days must be between 0 and %(limit)s."),
)

TITLES = (
    N_("Error"), N_("Validation failed"), N_("Not found"), N_("Not Found"), N_("Conflict"),
    N_("Refused by a rule"), N_("Not logged in"), N_("Forbidden"), N_("Directory unavailable"),
    N_("Method Not Allowed"), N_("Request Entity Too Large"), N_("Bad Request"), N_("Malformed request"),
    N_("Too Many Requests"),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, str]]:
    patterns = []
    for template in TEMPLATES + TITLES:
        parts = _PLACEHOLDER.split(template)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*?)" for i, part in enumerate(parts))
        patterns.append((re.compile(regex, re.DOTALL), template))
    return patterns


def _value(text: str) -> str:
    """Codes of the domain (possibly quoted, as in `'in_stock'`, or listed) in the reader's language."""
    words = [word.strip("'") for word in text.split(", ")]
    if all(word in VALUES for word in words):
        return ", ".join(label(word) for word in words)
    return text


def say(sentence: object) -> str:
    """A service sentence in the reader's language (unchanged when no template matches)."""
    if sentence is None:
        return ""
    text = str(sentence)
    locale = get_locale()
    if locale is None or locale.language == "en":
        return text  # the services speak English already
    for pattern, template in _patterns():
        match = pattern.fullmatch(text)
        if match:
            if not match.groupdict():
                return gettext(template)
            values = {k: say(v) if k == "detail" else _value(v) for k, v in match.groupdict().items()}
            return gettext(template, **values)
    return text


def say_all(messages) -> str:
    """Field errors (a list of sentences) as one line."""
    if isinstance(messages, str):
        return say(messages)
    return " ".join(say(m) for m in messages or [])


def _shown(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items())
    return label(str(value))


def changes(data: str, limit: int = 8) -> list[tuple[str, str, str | None]]:
    """An event's data as (field, before, after) lines; `after` is None for a plain value."""
    try:
        payload = json.loads(data or "{}")
    except ValueError:
        return [("data", data, None)]
    before, after = payload.pop("before", None) or {}, payload.pop("after", None) or {}
    lines: list[tuple[str, str, str | None]] = []
    for key in list(dict.fromkeys([*before, *after])):
        if key in before and key in after:
            if before[key] != after[key]:
                lines.append((key, _shown(before[key]), _shown(after[key])))
        elif key in after:
            lines.append((key, _shown(after[key]), None))
        else:
            lines.append((key, _shown(before[key]), "–"))
    lines += [(key, _shown(value), None) for key, value in payload.items()]
    return lines[:limit]
