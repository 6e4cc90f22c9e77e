"""Real parts for every test: a session-wide slapd, SQLite files and a throwaway PostgreSQL.

Database-backed tests run once per database (the `database_url` fixture is
parametrised); set FLEET_TEST_DATABASES=sqlite to run on SQLite only.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from fleet import create_app
from fleet.extensions import db
from tests.support.postgres import PostgresCluster

pytest_plugins = ["tests.fixtures_directory", "tests.fixtures_data", "tests.fixtures_signing"]

DATABASES = [d for d in os.environ.get("FLEET_TEST_DATABASES", "sqlite,postgresql").split(",") if d]


@pytest.fixture(scope="session")
def postgres_cluster():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def _migrate(url: str) -> None:
    import flask_migrate

    app = create_app({"FLEET_DATABASE_URL": url, "FLEET_SECRET_KEY": "test"})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    """A migrated database: a SQLite file, or a database in the session's PostgreSQL cluster."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'fleet.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_cluster").database("fleet_test")
    _migrate(url)
    return url


@pytest.fixture(scope="session")
def app_config(database_url, ldap_settings, directory):
    return {
        "FLEET_DATABASE_URL": database_url,
        "FLEET_SECRET_KEY": "test-secret",
        "FLEET_DIRECTORY": directory,
        "FLEET_ORG_NAME": "대전광역시 유성구청",
        "TESTING": True,
        # The suite logs in hundreds of times a minute; tests/api/test_limits.py tests the limits.
        "FLEET_LOGIN_LIMIT_PER_USER": "100000 per minute",
        "FLEET_LOGIN_LIMIT_PER_CLIENT": "100000 per minute",
        **ldap_settings,
    }


@pytest.fixture(scope="session")
def _session_app(app_config):
    app = create_app(app_config)
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables(app) -> None:
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if t.name != "alembic_version"]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                db.session.execute(text(f"DELETE FROM {name}"))
        db.session.execute(text("INSERT INTO event_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
        db.session.execute(text("INSERT INTO access_head (id, seq, hash, start_seq, start_prev_hash) "
                                "VALUES (1, 0, :h, 1, :h)"), {"h": "0" * 64})
        db.session.commit()
        db.session.remove()


@pytest.fixture
def app(_session_app):
    """The app on a database emptied before the test."""
    _empty_tables(_session_app)
    yield _session_app


@pytest.fixture
def make_app(app_config, app):
    """Build another app on the same (emptied) database with some settings changed."""
    made = []

    def make(**overrides):
        new = create_app({**app_config, **overrides})
        made.append(new)
        return new

    yield make
    for new in made:
        with new.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An app context for calling services directly; the test commits where it needs to."""
    with app.app_context():
        yield
        db.session.rollback()
