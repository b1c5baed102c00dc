"""Sizes are 1024-based, as the limits are stated (100 KB = 102,400 bytes, 25 MiB)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale

from convos_desktop.ui.formatting import format_size


@pytest.mark.parametrize(
    ("locale", "size", "text"),
    [
        ("en_US", 512, "512 bytes"),
        ("en_US", 102_400, "100 kB"),
        ("en_US", 88_000, "85.9 kB"),
        ("en_US", 25 * 1024 * 1024, "25 MB"),
        ("en_US", 1_400_000, "1.3 MB"),
        ("it_IT", 1_400_000, "1,3 MB"),
    ],
)
def test_sizes_are_1024_based_in_the_ui_locale(locale: str, size: int, text: str) -> None:
    QLocale.setDefault(QLocale(locale))
    assert format_size(size) == text
