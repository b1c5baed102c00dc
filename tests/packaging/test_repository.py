"""Repository hygiene: documents link only inside the repository; LICENSE matches pyproject."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
DOCUMENTS = ["README.md", "CHANGELOG.md", *(p.relative_to(ROOT) for p in ROOT.glob("docs/*.md"))]


@pytest.mark.parametrize("document", [str(d) for d in DOCUMENTS])
def test_links_stay_inside_the_repository(document):
    path = ROOT / document
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{document} links outside: {target}"
        assert resolved.exists(), f"{document} links to a missing file: {target}"


def test_license_file_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "LicenseRef-Proprietary"
    assert project["license-files"] == ["LICENSE"]
    assert "LicenseRef-Proprietary" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_the_changelog_and_the_architecture_are_in_the_repository():
    assert (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").startswith("# Changelog")
    assert "## 1." in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
