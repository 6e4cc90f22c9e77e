"""Settings: the development secret kept in the instance folder, instance/fleet.cfg, FLEET_INSTANCE_PATH."""

from __future__ import annotations

import re
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from fleet import create_app
from fleet.config import development_secret, load_settings


@pytest.fixture
def environment(monkeypatch):
    """No FLEET_* from the test run's own environment."""
    for name in ("FLEET_SECRET_KEY", "FLEET_ENV", "FLEET_ORG_NAME", "FLEET_LOAN_DAYS", "FLEET_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_secret_is_made_once_and_kept_private(tmp_path, environment):
    first = load_settings(str(tmp_path))["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64 and key_file.read_text().strip() == first
    assert load_settings(str(tmp_path))["SECRET_KEY"] == first  # the next worker, the next restart
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no draft left behind


def test_workers_starting_together_agree_on_one_secret(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: development_secret(str(tmp_path)), range(32)))
    assert len(secrets) == 1


def test_an_unusable_secret_file_is_refused_with_its_path(tmp_path, environment):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(RuntimeError, match="secret_key holds no usable secret key"):
        load_settings(str(tmp_path))


def test_production_still_requires_the_secret_key(tmp_path, environment):
    environment.setenv("FLEET_ENV", "production")
    with pytest.raises(RuntimeError, match="FLEET_SECRET_KEY must be set in production"):
        load_settings(str(tmp_path))
    assert not (tmp_path / "secret_key").exists()
    environment.setenv("FLEET_SECRET_KEY", "s" * 64)
    assert load_settings(str(tmp_path))["SECRET_KEY"] == "s" * 64


def test_instance_file_settings_count_and_the_environment_wins(tmp_path, environment):
    (tmp_path / "fleet.cfg").write_text('FLEET_ORG_NAME = "유성구청"\nFLEET_LOAN_DAYS = 30\n'
                                        'FLEET_SECRET_KEY = "from-the-instance-file"\n')
    settings = load_settings(str(tmp_path))
    assert settings["FLEET_ORG_NAME"] == "유성구청" and settings["FLEET_LOAN_DAYS"] == 30
    assert settings["SECRET_KEY"] == "from-the-instance-file" and not (tmp_path / "secret_key").exists()
    environment.setenv("FLEET_LOAN_DAYS", "14")
    assert load_settings(str(tmp_path))["FLEET_LOAN_DAYS"] == 14


def test_instance_path_comes_from_the_environment(tmp_path, environment):
    environment.setenv("FLEET_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "inst")
    assert app.config["SECRET_KEY"] == (tmp_path / "inst" / "secret_key").read_text().strip()
    assert app.config["FLEET_DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'fleet.sqlite'}"


def test_useful_life_and_inspection_intervals_are_read_per_category(tmp_path, environment):
    settings = load_settings(str(tmp_path), {"FLEET_USEFUL_LIFE": " laptop=4 , monitor=7,",
                                             "FLEET_INSPECTION_MONTHS": "laptop=6", "FLEET_REPAIR_DAYS": "14"})
    assert settings["FLEET_USEFUL_LIFE"] == {"laptop": 4, "monitor": 7}
    assert settings["FLEET_INSPECTION_MONTHS"] == {"laptop": 6}
    assert settings["FLEET_REPAIR_DAYS"] == 14
    defaults = load_settings(str(tmp_path))
    assert defaults["FLEET_USEFUL_LIFE"]["laptop"] == 5 and defaults["FLEET_INSPECTION_MONTHS"] == {}
    assert defaults["FLEET_REPAIR_DAYS"] == 30


@pytest.mark.parametrize(("name", "value", "says"), [
    ("FLEET_USEFUL_LIFE", "laptop=5,tablet=3", "'tablet=3' is not category=number"),
    ("FLEET_USEFUL_LIFE", "laptop:5", "'laptop:5' is not category=number"),
    ("FLEET_USEFUL_LIFE", "laptop=five", "laptop='five' must be a whole number, 1 or more"),
    ("FLEET_USEFUL_LIFE", "laptop=0", "laptop='0' must be a whole number, 1 or more"),
    ("FLEET_USEFUL_LIFE", "laptop=5,laptop=6", "laptop is given twice"),
    ("FLEET_INSPECTION_MONTHS", "laptop=-6", "laptop='-6' must be a whole number"),
    ("FLEET_REPAIR_DAYS", "a month", "FLEET_REPAIR_DAYS must be a whole number of days"),
])
def test_a_bad_upkeep_setting_stops_the_start_saying_which(tmp_path, environment, name, value, says):
    with pytest.raises(RuntimeError, match=re.escape(f"{name}: {says}" if name != "FLEET_REPAIR_DAYS" else says)):
        load_settings(str(tmp_path), {name: value})
