"""What the main window shows instead of a conversation that is open in its own window."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from convos_desktop.core.types import Ticket
from convos_desktop.ui.theme import set_text_color

TEXT_MAX_WIDTH = 520
MARGIN = 24


class PoppedOutNotice(QWidget):
    """ "The conversation with X is open in its own window", with ``raiseRequested`` (Show
    its window) and ``bringBackRequested`` (Bring it back here)."""

    raiseRequested = Signal()  # noqa: N815
    bringBackRequested = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("poppedOutNotice")
        self.text = QLabel(self)
        self.text.setObjectName("poppedOutText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_text_color(self.text, "#5d6875")
        self.show_button = QPushButton(self.tr("Show its window"), self)
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.raiseRequested)
        self.back_button = QPushButton(self.tr("Bring it back here"), self)
        self.back_button.clicked.connect(self.bringBackRequested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        self.text.setMaximumWidth(TEXT_MAX_WIDTH)  # a readable line on a wide screen
        line = QHBoxLayout()
        line.addStretch(1)
        line.addWidget(self.text, 10)
        line.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.addStretch(1)
        layout.addLayout(line)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        layout.addStretch(2)

    def set_ticket(self, ticket: Ticket, contact_name: str) -> None:
        """Say which conversation is elsewhere."""
        name = contact_name or f"#{ticket.contact_id}"
        self.text.setText(
            self.tr("The conversation with %1 (ticket #%2) is open in its own window.")
            .replace("%1", name)
            .replace("%2", str(ticket.id))
        )
