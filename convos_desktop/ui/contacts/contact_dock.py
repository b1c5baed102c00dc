"""The contact dock: profile summary and edit, files exchanged, activity feed.

Embedded by the main window on the right of the conversation. It follows whatever contact the
caller sets (``set_contact``); edits are validated here and leave as
``editRequested(contact_id, changes)``; the caller reports the outcome with ``save_finished``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import Activity, Contact, FileInfo
from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.chat.attachments import FileListModel
from convos_desktop.ui.contacts.contact_tickets import ContactTicketsPanel
from convos_desktop.ui.formatting import local_date, local_date_time, whole_number
from convos_desktop.ui.system_text import SystemWording, field_label, field_value
from convos_desktop.ui.theme import set_font_parts, set_label_box, set_text_color
from convos_desktop.ui.widgets.elided_label import ElidedLabel

log = logging.getLogger("convos.ui.contact_dock")

ModelIndex = QModelIndex | QPersistentModelIndex

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ]+$")
PHONE_MIN_DIGITS = 6
PHONE_MAX_DIGITS = 15  # E.164
_FIXED_SUMMARY_ROWS = 2  # phone and email; custom fields follow


def _tr(text: str) -> str:
    return QCoreApplication.translate("ContactDock", text)


def validate_contact(name: str, phone: str, email: str) -> dict[str, str]:
    """Problems per field (``name``, ``phone``, ``email``); empty when the input is valid."""
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = _tr("The name is required")
    phone = phone.strip()
    digits = sum(c.isdigit() for c in phone)
    if phone and (
        not PHONE_PATTERN.match(phone) or not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS
    ):
        problems["phone"] = _tr("A phone number has 6 to 15 digits, spaces and an optional +")
    email = email.strip()
    if email and not EMAIL_PATTERN.match(email):
        problems["email"] = _tr("This is not an email address (name@example.com)")
    return problems


def relative_time(when: dt.datetime, now: dt.datetime) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``yesterday``, ``4 days ago`` or the date."""
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return _tr("just now")
    if seconds < 3600:
        return _tr("%d min ago").replace("%d", whole_number(int(seconds // 60)))
    if seconds < 86_400:
        return _tr("%d h ago").replace("%d", whole_number(int(seconds // 3600)))
    days = (now.date() - when.astimezone(now.tzinfo).date()).days
    if days <= 1:
        return _tr("yesterday")
    if days < 7:
        return _tr("%d days ago").replace("%d", whole_number(days))
    return local_date(when)


class ActivityModel(RecordListModel[Activity]):
    """A contact's activity feed, newest first, worded in the UI language, relative times."""

    ACTIVITY_ROLE = RecordListModel.RECORD_ROLE

    def __init__(
        self,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        parent: QObject | None = None,
        wording: SystemWording | None = None,
    ) -> None:
        super().__init__(parent)
        self._now = now
        self._wording = wording or SystemWording(parent=self)
        self._wording.names_changed.connect(self._refresh_texts)

    def _refresh_texts(self) -> None:
        """An agent was renamed: every row's text may change."""
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1))

    def set_activities(self, activities: Sequence[Activity]) -> None:
        """Replace the feed (any order in; newest first out)."""
        self.set_records(sorted(activities, key=lambda a: (a.created_at, a.id), reverse=True))

    def record_data(self, record: Activity, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            text = self._wording.activity_text(record)
            return f"{text}\n{relative_time(record.created_at, self._now())}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return local_date_time(record.created_at)
        return None


def _plain_label(parent: QWidget) -> QLabel:
    """A wrapping plain-text line (messages such as a validation error)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _field_label(parent: QWidget) -> ElidedLabel:
    """A contact field: one selectable line, elided with the full value in the tooltip."""
    label = ElidedLabel(parent)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ContactDock(QDockWidget):
    """The contact card: summary, edit with validation, files exchanged, activity feed."""

    editRequested = Signal(int, dict)  # noqa: N815 (contact id, changed fields)
    openFileRequested = Signal(object)  # noqa: N815 (FileInfo)
    saveFileRequested = Signal(object)  # noqa: N815 (FileInfo)

    def __init__(
        self,
        parent: QWidget | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        inbox_name: Callable[[int], str] = lambda _id: "",
        wording: SystemWording | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Contact"))
        self.setObjectName("contactDock")
        self._contact: Contact | None = None
        self._saving = False
        self.files_model = FileListModel(self)
        self.activity_model = ActivityModel(now, self, wording)

        body = QWidget(self)
        self.empty_label = QLabel(self.tr("No contact selected"), body)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card = QStackedWidget(body)
        self.card.addWidget(self._build_summary())
        self.card.addWidget(self._build_editor())
        self.tickets_panel = ContactTicketsPanel(inbox_name, body)
        self.files_label = QLabel(self.tr("Files exchanged"), body)
        self.no_files_label = QLabel(self.tr("No files exchanged yet."), body)
        set_text_color(self.no_files_label, QPalette.ColorRole.PlaceholderText)
        self.files_view = QListView(body)
        self.files_view.setModel(self.files_model)
        self.files_view.setUniformItemSizes(True)
        self.files_view.doubleClicked.connect(self._open_current_file)
        self.files_view.selectionModel().currentChanged.connect(self._refresh_file_buttons)
        self.open_file_button = QPushButton(self.tr("Open"), body)
        self.open_file_button.clicked.connect(self._open_current_file)
        self.save_file_button = QPushButton(self.tr("Save as…"), body)
        self.save_file_button.clicked.connect(self._save_current_file)
        self.activity_label = QLabel(self.tr("Activity"), body)
        self.activity_view = QListView(body)
        self.activity_view.setModel(self.activity_model)
        self.activity_view.setWordWrap(True)
        self.activity_view.setAlternatingRowColors(True)
        self.activity_view.setSpacing(3)
        for label in (self.files_label, self.activity_label):
            set_font_parts(label, weight=QFont.Weight.Bold)
            set_label_box(label, 0, 6, 0, 0)

        file_buttons = QHBoxLayout()
        file_buttons.addStretch(1)
        file_buttons.addWidget(self.open_file_button)
        file_buttons.addWidget(self.save_file_button)
        layout = QVBoxLayout(body)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.card)
        layout.addWidget(self.tickets_panel)
        layout.addWidget(self.files_label)
        layout.addWidget(self.no_files_label)
        layout.addWidget(self.files_view, 1)
        layout.addLayout(file_buttons)
        layout.addWidget(self.activity_label)
        layout.addWidget(self.activity_view, 2)
        self.setWidget(body)
        self.set_contact(None)

    def _build_summary(self) -> QWidget:
        page = QWidget(self)
        self.name_label = _field_label(page)
        set_font_parts(self.name_label, pixel_size=15, weight=QFont.Weight.Bold)
        self.phone_label = _field_label(page)
        self.email_label = _field_label(page)
        self.edit_button = QPushButton(self.tr("Edit"), page)
        self.edit_button.clicked.connect(self.start_editing)
        self.summary_form = QFormLayout()
        self.summary_form.addRow(self.tr("Phone"), self.phone_label)
        self.summary_form.addRow(self.tr("Email"), self.email_label)
        header = QHBoxLayout()
        header.addWidget(self.name_label, 1)
        header.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(self.summary_form)
        return page

    def _build_editor(self) -> QWidget:
        page = QWidget(self)
        self.name_edit = QLineEdit(page)
        self.phone_edit = QLineEdit(page)
        self.phone_edit.setPlaceholderText("+39 333 123 4567")
        self.email_edit = QLineEdit(page)
        self.email_edit.setPlaceholderText("name@example.com")
        self.error_label = _plain_label(page)
        set_text_color(self.error_label, "#a11")
        self.save_button = QPushButton(self.tr("Save"), page)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton(self.tr("Cancel"), page)
        self.cancel_button.clicked.connect(self.cancel_editing)
        for edit in (self.name_edit, self.phone_edit, self.email_edit):
            edit.returnPressed.connect(self.save)
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Phone"), self.phone_edit)
        form.addRow(self.tr("Email"), self.email_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        return page

    # --- inputs from the caller -------------------------------------------------------------

    def contact(self) -> Contact | None:
        return self._contact

    def set_contact(
        self,
        contact: Contact | None,
        files: Sequence[FileInfo] = (),
        activities: Sequence[Activity] = (),
    ) -> None:
        """Show ``contact`` (``None``: nothing selected) with its files and activity feed.

        An edit in progress survives an update of the same contact and is dropped for another.
        """
        same = contact is not None and self._contact is not None and contact.id == self._contact.id
        self._contact = contact
        if not same:
            self._saving = False
            self.card.setCurrentIndex(0)
        self.files_model.set_files(files)
        self.activity_model.set_activities(activities)
        has_contact = contact is not None
        self.empty_label.setVisible(not has_contact)
        if not same:
            self.tickets_panel.set_tickets(())
        shown: tuple[QWidget, ...] = (
            self.card,
            self.tickets_panel,
            self.files_label,
            self.activity_label,
            self.activity_view,
        )
        for widget in shown:
            widget.setVisible(has_contact)
        has_files = has_contact and bool(files)
        self.no_files_label.setVisible(has_contact and not has_files)
        for file_widget in (self.files_view, self.open_file_button, self.save_file_button):
            file_widget.setVisible(has_files)
        self._refresh_file_buttons()
        if contact is not None:
            self._show_summary(contact)

    def _show_summary(self, contact: Contact) -> None:
        self.name_label.setText(contact.name)
        self.phone_label.setText(contact.phone or "—")
        self.email_label.setText(contact.email or "—")
        while self.summary_form.rowCount() > _FIXED_SUMMARY_ROWS:
            self.summary_form.removeRow(_FIXED_SUMMARY_ROWS)
        labelled = sorted(
            (field_label(key).casefold(), field_label(key), value)
            for key, value in contact.custom.items()
        )
        for _order, name, value in labelled:
            label = _field_label(self)
            label.setText(field_value(value))
            self.summary_form.addRow(name, label)

    def is_editing(self) -> bool:
        return self.card.currentIndex() == 1

    def start_editing(self) -> None:
        """Switch the card to the edit form, filled with the contact's values."""
        if self._contact is None:
            return
        self.name_edit.setText(self._contact.name)
        self.phone_edit.setText(self._contact.phone or "")
        self.email_edit.setText(self._contact.email or "")
        for edit in (self.name_edit, self.phone_edit, self.email_edit):
            edit.setCursorPosition(0)
        self.error_label.clear()
        self.error_label.hide()
        self._set_saving(False)
        self.card.setCurrentIndex(1)
        self.name_edit.setFocus()

    def cancel_editing(self) -> None:
        """Back to the summary, dropping the edit."""
        self._set_saving(False)
        self.card.setCurrentIndex(0)

    def save(self) -> None:
        """Validate; emit ``editRequested`` with the changed fields and wait read-only."""
        if self._contact is None or self._saving:
            return
        name, phone, email = (
            self.name_edit.text().strip(),
            self.phone_edit.text().strip(),
            self.email_edit.text().strip(),
        )
        problems = validate_contact(name, phone, email)
        if problems:
            self._show_error("\n".join(problems.values()))
            edits = {"name": self.name_edit, "phone": self.phone_edit, "email": self.email_edit}
            edits[next(iter(problems))].setFocus()
            return
        changes: dict[str, str | None] = {}
        if name != self._contact.name:
            changes["name"] = name
        if (phone or None) != self._contact.phone:
            changes["phone"] = phone or None
        if (email or None) != self._contact.email:
            changes["email"] = email or None
        if not changes:
            self.cancel_editing()
            return
        self._set_saving(True)
        self.editRequested.emit(self._contact.id, changes)

    def save_finished(self, error: str | None = None) -> None:
        """The caller's answer to ``editRequested``: ``None`` saved, else why it failed."""
        self._set_saving(False)
        if error is None:
            self.card.setCurrentIndex(0)
        else:
            self._show_error(self.tr("Not saved: %s") % error)

    def save_refused_duplicate(self, field: str, contact_id: int, name: str | None) -> None:
        """The server refused the edit: contact ``contact_id`` (``name``, ``None`` when the
        agent may not see it) already has this ``field`` (``phone`` or ``email``)."""
        self._set_saving(False)
        who = name if name is not None else self.tr("Contact #{id}").format(id=contact_id)
        if field == "email":
            text = self.tr(
                "Not saved: {name} already has this e-mail address. Keep this contact's own "
                "e-mail, or write the customer's other one."
            )
            edit = self.email_edit
        else:
            text = self.tr(
                "Not saved: {name} already has this phone number. Keep this contact's own "
                "phone, or write the customer's other one."
            )
            edit = self.phone_edit
        self._show_error(text.format(name=who))
        edit.setFocus()
        edit.selectAll()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        for edit in (self.name_edit, self.phone_edit, self.email_edit):
            edit.setReadOnly(saving)
        self.save_button.setEnabled(not saving)
        self.save_button.setText(self.tr("Saving…") if saving else self.tr("Save"))
        if saving:
            self.error_label.hide()

    def is_saving(self) -> bool:
        return self._saving

    # --- files ---------------------------------------------------------------------------------

    def _current_file(self) -> FileInfo | None:
        index = self.files_view.currentIndex()
        return self.files_model.file_at(index.row()) if index.isValid() else None

    def _refresh_file_buttons(self, *_: object) -> None:
        has_file = self._current_file() is not None
        self.open_file_button.setEnabled(has_file)
        self.save_file_button.setEnabled(has_file)

    def _open_current_file(self, *_: object) -> None:
        info = self._current_file()
        if info is not None:
            self.openFileRequested.emit(info)

    def _save_current_file(self) -> None:
        info = self._current_file()
        if info is not None:
            self.saveFileRequested.emit(info)
