from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fleet.api.common import documented_errors
from fleet.errors import DirectoryUnavailable
from fleet.extensions import db
from fleet.problems import problem_response
from fleet.schemas.auth import StatusSchema
from fleet.schemas.parsing import Blueprint
from fleet.security import get_directory
from fleet.services.signatures import signing_state

blp = Blueprint("health", __name__, url_prefix="/", description="Liveness and readiness")
errors = documented_errors(blp)


@blp.route("/healthz")
@blp.response(200, StatusSchema)
def healthz():
    """Answers while the process runs."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, StatusSchema)
@errors(503)
def readyz():
    """200 when the database and the directory answer, else 503 naming which is down."""
    checks = {}
    directory = get_directory()
    warnings = list(getattr(directory, "warnings", []))
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        directory.ping()
        checks["directory"] = "ok"
    except DirectoryUnavailable as exc:
        checks["directory"] = f"down: {exc.detail}"
    down = [name for name, state in checks.items() if state != "ok"]
    # Not a readiness condition: Fleet serves unsigned when no key is configured, and says so here.
    checks["signing"] = signing_state()
    if down:
        why = "; ".join(f"{name}: {checks[name].removeprefix('down: ')}" for name in down)
        return problem_response(503, "Not ready", f"Not answering: {', '.join(down)}. ({why})"
                                + "".join(f" Warning: {w}" for w in warnings))
    return {"status": "ok", "checks": checks, **({"warnings": warnings} if warnings else {})}
