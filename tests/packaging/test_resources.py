"""Every resource path resolves through ``convos_desktop.resources``, in each way the app runs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from convos_desktop import resources

ROOT = Path(__file__).resolve().parents[2]


def test_source_checkout_finds_the_top_level_folder(monkeypatch):
    monkeypatch.delenv("CONVOS_RESOURCES", raising=False)
    assert resources.resources_root() == ROOT / "resources"
    expected = ROOT / "resources" / "translations"
    assert resources.translations_dir() == expected
    assert list(expected.glob("*_it.qm"))


def test_a_pyinstaller_bundle_uses_meipass(monkeypatch, tmp_path):
    bundled = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", bundled)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_root() == bundled
    assert resources.translations_dir() == bundled / "translations"


def test_an_installed_wheel_uses_the_shared_data_folder(monkeypatch, tmp_path):
    data = tmp_path / "share" / "convos-desktop" / "resources"
    shutil.copytree(ROOT / "resources", data)
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "site-packages" / "convos_desktop")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert resources.resources_root() == data


def test_a_broken_install_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "pkg")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path))
    with pytest.raises(resources.ResourcesNotFoundError, match="tried"):
        resources.resources_root()


def test_every_named_resource_exists():
    for name in resources.ICON_NAMES:
        for extension in ("svg",):
            assert resources.icon_path(name, extension).is_file()
        for size in (16, 32, 48, 256):
            assert resources.icon_path(f"{name}-{size}", "png").is_file()
    assert resources.icon_path("app", "ico").is_file()
    assert resources.icon_path("app", "icns").is_file()
    assert resources.sound_path().stat().st_size > 1000
    # No style sheet ships: the navigation's look (the last app.qss) is painted (issue 16).
    assert not (resources.resources_root() / "styles").exists()


def test_main_window_has_no_inline_navigation_style():
    source = (ROOT / "convos_desktop" / "ui" / "shell" / "main_window.py").read_text(
        encoding="utf-8"
    )
    assert "#navigation::item" not in source
