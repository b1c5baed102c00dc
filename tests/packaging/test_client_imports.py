"""An agent's install has no server packages: the client never imports them unless --demo.

Checked in a fresh interpreter (the import tests' helper): importing the app, the window and
everything the self-check loads must leave FastAPI, SQLAlchemy, asyncpg & co. out of
``sys.modules``; the pyproject keeps them in the ``server`` extra.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.desktop.test_core_imports import python_says

ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = (
    "convos_server",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "aiosqlite",
    "asyncpg",
    "argon2",
    "multipart",
    "puremagic",
)


def test_the_client_imports_no_server_package():
    code = (
        "import sys\n"
        "import convos_desktop.app, convos_desktop.self_check\n"
        "import convos_desktop.ui.shell.main_window\n"
        "import convos_desktop.bundle_entry\n"
        f"server = {SERVER_PACKAGES!r}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & set(server))))\n"
    )
    assert python_says(code) == ""


def test_server_dependencies_are_an_extra_and_dev_has_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = " ".join(project["dependencies"]).lower()
    extras = project["optional-dependencies"]
    for package in ("fastapi", "sqlalchemy", "asyncpg", "uvicorn", "alembic"):
        assert package not in base
        assert any(d.lower().startswith(package) for d in extras["server"])
    assert "convos-desktop[server]" in extras["dev"]
    assert any(d.startswith("PySide6-Addons") for d in project["dependencies"])


def test_package_data_globs_match_files():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    for package, globs in setuptools["package-data"].items():
        for pattern in globs:
            assert list((ROOT / package).glob(pattern)), f"{package}/{pattern} matches nothing"
    for target, patterns in setuptools["data-files"].items():
        for pattern in patterns:
            assert list(ROOT.glob(pattern)), f"{target}: {pattern} matches nothing"
