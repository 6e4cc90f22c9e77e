"""The layers (import-linter's contracts in pyproject.toml) hold, and the check fails when one is broken.

`lint-imports` runs in the test command; this test also breaks contracts on purpose in a copy of the code and
shows the check fails, naming them, so a green check is not a check that cannot fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=300)


def test_the_layers_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "bad_import", "contract"), [
    ("fleet/models/asset.py", "import fleet.services.loans", "Models import no service"),
    ("reports/__init__.py", "import fleet.clock", "reports/ renders PDFs from plain data"),
    ("fleet/services/assets.py", "import fleet.web.messages", "Services know neither the API nor the pages"),
    ("fleet/config.py", "import fleet.access_log.rules", "The settings import no feature"),
])
def test_a_contract_broken_on_purpose_fails_the_check(tmp_path, module, bad_import, contract):
    for part in ("fleet", "reports"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    broken = tmp_path / module
    broken.write_text(broken.read_text(encoding="utf-8") + f"\n{bad_import}  # noqa\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout, result.stdout[-3000:]
