"""Regression guard for the PySide6 6.12.0 / Python 3.11 ``none_dealloc`` abort.

PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` on every void Qt call; after a few
thousand calls the interpreter aborts with ``Fatal Python error: none_dealloc``. pyproject.toml
keeps that pair apart; these tests prove the installed pair survives many thousand model
inserts (run in a subprocess, so an abort fails the test instead of killing pytest).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import PySide6
import pytest

INSERTS = 30_000

SCRIPT = textwrap.dedent(
    f"""
    import sys
    from PySide6.QtCore import QAbstractListModel, QCoreApplication, QModelIndex, Qt

    class Rows(QAbstractListModel):
        def __init__(self):
            super().__init__()
            self.rows = []

        def rowCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else len(self.rows)

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            return self.rows[index.row()] if role == Qt.ItemDataRole.DisplayRole else None

        def append(self, value):
            n = len(self.rows)
            self.beginInsertRows(QModelIndex(), n, n)  # void Qt calls: the crash trigger
            self.rows.append(value)
            self.endInsertRows()

    app = QCoreApplication([])
    model = Rows()
    for i in range({INSERTS}):
        model.append(i)
        model.dataChanged.emit(model.index(i), model.index(i))
    assert model.rowCount() == {INSERTS}
    print("inserted", model.rowCount())
    """
)


def test_many_thousand_model_inserts_do_not_abort() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"inserted {INSERTS}"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12+ is immune")
def test_installed_pyside_is_not_the_crashing_pair() -> None:
    assert PySide6.__version__ != "6.12.0", "PySide6 6.12.0 aborts on Python 3.11"
