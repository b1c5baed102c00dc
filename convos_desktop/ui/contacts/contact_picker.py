"""Choosing the contact of a New ticket: search as you type (server-side, paged, debounced), or
create one inline (name, phone and/or e-mail, validated here and by the server). A phone or
e-mail another contact already has is answered with that contact, to use instead.

Emits ``contactChosen(Contact)``. Network work runs as tasks on the loop: typing never waits.
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import ApiClient, ConflictError, InvalidError
from convos_desktop.core.types import Contact
from convos_desktop.models.contact_search import ContactRole, ContactSearchModel
from convos_desktop.ui.tasks import TaskRunner

log = logging.getLogger("convos.ui.new_ticket")

SEARCH_DELAY_MS = 250
PAGE_SIZE = 25
PHONE_SEPARATORS = " -.()/"
PHONE_PATTERN = re.compile(r"\+?[0-9]{6,15}")  # the server's rule (docs/protocol.md, Contacts)
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
ERROR_STYLE = "color: #c01c28;"
MUTED_STYLE = "color: #6b7785;"


def phone_is_valid(phone: str) -> bool:
    """Whether ``phone`` has 6 to 15 digits, optionally after ``+`` (separators ignored)."""
    digits = phone.translate({ord(c): None for c in PHONE_SEPARATORS})
    return bool(PHONE_PATTERN.fullmatch(digits))


def email_is_valid(email: str) -> bool:
    return bool(EMAIL_PATTERN.fullmatch(email))


class ResultsView(QListView):
    """The search results; Enter chooses the current contact."""

    activatedByKey = Signal(QModelIndex)  # noqa: N815 (Qt signal naming)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activatedByKey.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class SearchField(QLineEdit):
    """The search box: Down moves into the results."""

    downPressed = Signal()  # noqa: N815 (Qt signal naming)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.downPressed.emit()
            return
        super().keyPressEvent(event)


class NewContactForm(QFrame):
    """Name, phone and e-mail of a new contact, checked as typed; ``createRequested``."""

    createRequested = Signal(str, str, str)  # noqa: N815 (Qt signal naming)
    cancelRequested = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newContactForm")
        self.setStyleSheet(
            "#newContactForm { border: 1px solid #d0d7de; border-radius: 8px;"
            " background: #f8fafc; }"
        )
        self.name = QLineEdit(self)
        self.name.setPlaceholderText(self.tr("Name and surname"))
        self.phone = QLineEdit(self)
        self.phone.setPlaceholderText(self.tr("+39 333 123 4567"))
        self.email = QLineEdit(self)
        self.email.setPlaceholderText(self.tr("name@example.com"))
        self.errors = {
            field: self._error_label(wrap=field == "form")
            for field in ("name", "phone", "email", "form")
        }
        self.create_button = QPushButton(self.tr("Create contact"), self)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self._on_create)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.use_existing = QPushButton(self.tr("Use the existing one"), self)
        self.use_existing.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for label, edit, field in (
            (self.tr("Name"), self.name, "name"),
            (self.tr("Phone"), self.phone, "phone"),
            (self.tr("E-mail"), self.email, "email"),
        ):
            form.addRow(label, edit)
            form.addRow("", self.errors[field])
            edit.textEdited.connect(lambda _t, f=field: self._check(f))
            edit.returnPressed.connect(self._on_create)
        buttons = QHBoxLayout()
        buttons.addWidget(self.errors["form"], 1)
        buttons.addStretch(0)  # keeps the buttons right while there is no message
        buttons.addWidget(self.use_existing)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.create_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def _error_label(self, *, wrap: bool) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(wrap)  # the field messages are one short line each
        label.setStyleSheet(ERROR_STYLE)
        label.hide()
        return label

    def reset(self, name: str = "") -> None:
        """Empty the form (the name prefilled with what was searched, when it looks like one)."""
        for edit in (self.name, self.phone, self.email):
            edit.clear()
        self.name.setText(name)
        for field in self.errors:
            self.show_error(field, "")
        self.use_existing.hide()
        self.create_button.setEnabled(True)

    def show_error(self, field: str, message: str) -> None:
        label = self.errors.get(field, self.errors["form"])
        label.setText(message)
        label.setVisible(bool(message))

    def problems(self) -> dict[str, str]:
        """What is wrong with the form now, per field (empty when it may be sent)."""
        found: dict[str, str] = {}
        name, phone, email = (e.text().strip() for e in (self.name, self.phone, self.email))
        if not name:
            found["name"] = self.tr("Write the contact's name.")
        if phone and not phone_is_valid(phone):
            found["phone"] = self.tr("A phone number has 6 to 15 digits, optionally after +.")
        if email and not email_is_valid(email):
            found["email"] = self.tr("This is not an e-mail address.")
        if not phone and not email:
            found["phone"] = self.tr("Give a phone number or an e-mail address (or both).")
        return found

    def _check(self, field: str) -> None:
        problem = self.problems().get(field, "")
        if field == "email" or (field == "phone" and not self.phone.text().strip()):
            # "phone or e-mail" is said under the phone: recheck it when either changes
            self.show_error("phone", self.problems().get("phone", "") if self._touched() else "")
        self.show_error(field, problem if self._touched() else "")
        self.use_existing.hide()
        self.show_error("form", "")

    def _touched(self) -> bool:
        return any(e.text().strip() for e in (self.phone, self.email))

    def _on_create(self) -> None:
        problems = self.problems()
        for field in ("name", "phone", "email"):
            self.show_error(field, problems.get(field, ""))
        if problems:
            return
        self.createRequested.emit(
            self.name.text().strip(), self.phone.text().strip(), self.email.text().strip()
        )


class ContactPicker(QWidget):
    """Search or create the contact; see the module docstring."""

    contactChosen = Signal(object)  # noqa: N815 (Qt signal naming): Contact

    def __init__(self, api: ApiClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._api = api
        self._tasks = TaskRunner()
        self._existing_id: int | None = None
        self.model = ContactSearchModel(self)
        self.model.moreWanted.connect(self._fetch_more)

        self.search = SearchField(self)
        self.search.setPlaceholderText(self.tr("Search contacts by name, phone or e-mail"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search contacts"))
        self.new_button = QPushButton(self.tr("New contact…"), self)
        self.new_button.setToolTip(self.tr("Create a contact that is not in the list"))
        self.new_button.clicked.connect(self.show_form)
        self.results = ResultsView(self)
        self.results.setModel(self.model)
        self.results.setUniformItemSizes(True)
        self.results.setMinimumHeight(120)
        self.results.setMaximumHeight(220)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setObjectName("contactResults")
        self.results.setStyleSheet("#contactResults::item { padding: 5px 8px; }")
        self.results.activated.connect(self._on_activated)
        self.results.clicked.connect(self._on_activated)
        self.results.activatedByKey.connect(self._on_activated)
        self.search.downPressed.connect(self._focus_results)
        self.search.returnPressed.connect(self._choose_first)
        self.state = QLabel(self)
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.state.setStyleSheet(MUTED_STYLE)
        self.form = NewContactForm(self)
        self.form.createRequested.connect(self._create)
        self.form.cancelRequested.connect(self.show_search)
        self.form.use_existing.clicked.connect(self._use_existing)

        self.search_page = QWidget(self)
        search_page = self.search_page
        search_layout = QVBoxLayout(search_page)
        search_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.new_button)
        search_layout.addLayout(row)
        search_layout.addWidget(self.results)
        search_layout.addWidget(self.state)
        self.form.hide()  # one of the two at a time, each at its own height
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(search_page)
        layout.addWidget(self.form)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())

    # --- searching -----------------------------------------------------------------------------

    def run_search(self) -> None:
        """Search now for what is typed (the timer calls this after a pause in typing)."""
        self._search_timer.stop()
        query = self.search.text().strip()
        self.state.setText(self.tr("Searching…"))
        self._tasks.run(self._search(query), on_error=self._show_search_error)

    async def _search(self, query: str) -> None:
        page = await self._api.contacts(query or None, limit=PAGE_SIZE)
        if query != self.search.text().strip():
            return  # typed on since: the newer search answers
        self.model.set_results(query, page.items, page.next_cursor)
        if page.items:
            self.results.setCurrentIndex(self.model.index(0))
            self.state.setText("")
        elif query:
            self.state.setText(self.tr("No contact matches “{query}”.").format(query=query))
        else:
            self.state.setText(self.tr("No contacts yet: create one."))

    def _fetch_more(self, query: str, cursor: str) -> None:
        self._tasks.run(self._more(query, cursor), on_error=self._show_search_error)

    async def _more(self, query: str, cursor: str) -> None:
        try:
            page = await self._api.contacts(query or None, cursor=cursor, limit=PAGE_SIZE)
        except Exception:
            self.model.page_failed(query)
            raise
        self.model.append_page(query, page.items, page.next_cursor)

    def _show_search_error(self, message: str) -> None:
        self.state.setText(message)

    def _focus_results(self) -> None:
        if self.model.rowCount():
            self.results.setFocus()
            if not self.results.currentIndex().isValid():
                self.results.setCurrentIndex(self.model.index(0))

    def _choose_first(self) -> None:
        index = self.results.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0)
        if index.isValid():
            self._on_activated(index)

    def _on_activated(self, index: QModelIndex) -> None:
        contact = index.data(ContactRole.CONTACT)
        if isinstance(contact, Contact):
            self.contactChosen.emit(contact)

    # --- creating ------------------------------------------------------------------------------

    def show_form(self) -> None:
        typed = self.search.text().strip()
        looks_like_name = bool(typed) and not any(ch.isdigit() or ch == "@" for ch in typed)
        self.form.reset(typed if looks_like_name else "")
        if typed and not looks_like_name:
            (self.form.email if "@" in typed else self.form.phone).setText(typed)
        self.search_page.hide()
        self.form.show()
        self.form.name.setFocus()

    def show_search(self) -> None:
        self.form.hide()
        self.search_page.show()
        self.search.setFocus()

    def _create(self, name: str, phone: str, email: str) -> None:
        self.form.create_button.setEnabled(False)
        self.form.show_error("form", "")
        task = self._tasks.run(
            self._create_contact(name, phone, email),
            on_error=lambda message: self.form.show_error("form", message),
        )
        task.add_done_callback(lambda _t: self.form.create_button.setEnabled(True))

    async def _create_contact(self, name: str, phone: str, email: str) -> None:
        try:
            contact = await self._api.create_contact(name, phone=phone or None, email=email or None)
        except InvalidError as exc:
            self.form.show_error(exc.field or "form", exc.message)
            return
        except ConflictError as exc:
            if exc.code != "contact_exists" or exc.contact_id is None:
                raise
            await self._offer_existing(exc.contact_id, str(exc.extra.get("field", "")))
            return
        self.show_search()
        self.contactChosen.emit(contact)

    async def _offer_existing(self, contact_id: int, field: str) -> None:
        existing = await self._api.contact(contact_id)
        self._existing_id = existing.id
        if field == "email":
            text = self.tr("{name} already has this e-mail address.")
        else:
            text = self.tr("{name} already has this phone number.")
        self.form.show_error("form", text.format(name=existing.name))
        self.form.use_existing.show()
        self.form.use_existing.setFocus()

    def _use_existing(self) -> None:
        if self._existing_id is not None:
            self._tasks.run(
                self._choose_by_id(self._existing_id),
                on_error=lambda message: self.form.show_error("form", message),
            )

    async def _choose_by_id(self, contact_id: int) -> None:
        contact = await self._api.contact(contact_id)
        self.show_search()
        self.contactChosen.emit(contact)

    async def shutdown(self) -> None:
        """Stop searching (a pending debounce included)."""
        self._search_timer.stop()
        self._tasks.cancel_all()
        await self._tasks.wait_idle()
