"""Extension objects, bound to an app in create_app. Imports no app."""

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from fleet.connections import KEPT


class Base(DeclarativeBase):
    pass


class Session(FlaskSession):
    """Flask-SQLAlchemy's session; on SQLite its transactions run on a connection borrowed from
    `fleet.connections.KEPT` instead of one taken from the engine's pool, given back when the transaction ends
    (or the session closes). The session begins and commits its transaction on it as on any connection (it is
    the session's own: `join_transaction_mode` never comes into play)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        chosen = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is not None or not isinstance(chosen, Engine) or chosen.dialect.name != "sqlite":
            return chosen
        borrowed = self.info.get(_BORROWED)
        if borrowed is None or borrowed[0][0] is not chosen:
            self.give_back()
            borrowed = self.info[_BORROWED] = KEPT.borrow(chosen)
        return borrowed[1]

    def give_back(self) -> None:
        borrowed = self.info.pop(_BORROWED, None)
        if borrowed is not None:
            KEPT.give_back(*borrowed)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_back()


_BORROWED = "fleet_borrowed_connection"


@event.listens_for(Session, "after_transaction_end")
def _give_back(session, transaction) -> None:
    if transaction.parent is None:
        session.give_back()


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
api = Api()
