"""Scorciatoie: the quick replies screen (list, search, create, edit, delete, preview).

Personal replies belong to the agent; shared ones (everyone sees them) are made and changed by
admins only (the server enforces it; the form says so). The list follows the directory, so a
change made here, on another client or by another agent reaches it (and the composer's ``/``
completion) through the ``canned.changed`` event, never by patching the list by hand.
Keys: Ctrl+N new, Ctrl+S save, Delete deletes the selected reply, Esc cancels the edit.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import ApiError, ConflictError, InvalidError
from convos_desktop.core.types import Canned
from convos_desktop.models.navigation import NavTarget, target_label
from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.chat.quick_replies import PLACEHOLDERS, fill_placeholders, first_line
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.tasks import TaskRunner, describe_error
from convos_desktop.ui.theme import screen_title
from convos_desktop.ui.widgets.admin_list import (
    editor_keys,
    error_label,
    list_buttons,
    set_editable,
    width_bounded,
)
from convos_desktop.ui.widgets.confirm import ask

log = logging.getLogger("convos.ui.shortcuts")

ModelIndex = QModelIndex | QPersistentModelIndex
SHORTCUT_MAX = 64
SAMPLE_CONTACT = "Mario Rossi"
TEXT_MAX_HEIGHT = 240


def placeholder_label(name: str) -> str:
    """What a placeholder stands for, in the UI language."""
    labels = {
        "contact_name": QCoreApplication.translate("ShortcutsScreen", "the contact's name"),
        "agent_name": QCoreApplication.translate("ShortcutsScreen", "your name"),
    }
    return labels.get(name, name)


def shortcut_problem(text: str) -> str:
    """Why ``text`` is not a valid code (the server's rule: one word of up to 64 characters)."""
    tr = QCoreApplication.translate
    code = text.strip().lstrip("/")
    if not code:
        return tr("ShortcutsScreen", "Write a code, for example /greeting.")
    if any(ch.isspace() for ch in code):
        return tr("ShortcutsScreen", "The code is one word, without spaces.")
    if len(code) > SHORTCUT_MAX:
        return tr("ShortcutsScreen", "The code is at most 64 characters.")
    return ""


class CannedListModel(RecordListModel[Canned]):
    """Every quick reply the agent sees: ``/code``, the first line, shared or personal."""

    SEARCH_ROLE = RecordListModel.RECORD_ROLE + 1
    ID_ROLE = RecordListModel.RECORD_ROLE + 2

    def row_of(self, canned_id: int) -> int:
        """The row of the reply with ``canned_id``, or -1."""
        return next((i for i, c in enumerate(self._records) if c.id == canned_id), -1)

    def record_data(self, record: Canned, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            scope = self.tr("shared") if record.owner_id is None else self.tr("personal")
            language = f" · {record.language}" if record.language else ""
            return f"/{record.shortcut}  ({scope}{language})\n{first_line(record.text)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.text
        if role == self.SEARCH_ROLE:
            return f"{record.shortcut}\n{record.text}".casefold()
        if role == self.ID_ROLE:
            return record.id
        return None


class CannedSearchModel(QSortFilterProxyModel):
    """Replies whose code or text holds every word of the search (any case)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_search(self, text: str) -> None:
        self._words = text.casefold().lstrip("/").split()
        self.invalidate()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        index = self.sourceModel().index(source_row, 0, source_parent)
        haystack = str(index.data(CannedListModel.SEARCH_ROLE) or "")
        return all(word in haystack for word in self._words)


class ShortcutsScreen(QWidget):
    """See the module docstring."""

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsScreen")
        self._context = context
        self._tasks = TaskRunner()
        self._editing: Canned | None = None  # None: a new reply (when the form is open)
        self._select_after_reload: str | None = None
        self.model = CannedListModel(self)
        self.proxy = CannedSearchModel(self)
        self.proxy.setSourceModel(self.model)

        title = screen_title(target_label(NavTarget.SHORTCUTS), self)
        intro = QLabel(
            self.tr(
                "Quick replies: prepared texts you insert while chatting with / or the ⚡ "
                "button. Personal ones are yours; shared ones (made by admins) are for everyone."
            ),
            self,
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #6b7785;")
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_list())
        splitter.addWidget(width_bounded(self._build_form()))
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 620])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        self._shortcuts()
        self.setTabOrder(self.search, self.list_view)
        self.setTabOrder(self.list_view, self.code_edit)
        self.setTabOrder(self.code_edit, self.language_combo)
        self.setTabOrder(self.language_combo, self.personal_radio)
        self.setTabOrder(self.personal_radio, self.shared_radio)
        self.setTabOrder(self.shared_radio, self.text_edit)
        self.setTabOrder(self.text_edit, self.save_button)
        self.setTabOrder(self.save_button, self.cancel_button)

        context.directory.changed.connect(self.reload)
        context.directory.me_changed.connect(self._refresh_permissions)
        self._show_form(None, open_form=False)
        self.reload()

    # --- building -----------------------------------------------------------------------------

    def _build_list(self) -> QWidget:
        page = QWidget(self)
        self.search = QLineEdit(page)
        self.search.setObjectName("shortcutSearch")
        self.search.setPlaceholderText(self.tr("Search by code or text"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_search)
        self.list_view = QListView(page)
        self.list_view.setObjectName("shortcutList")
        self.list_view.setModel(self.proxy)
        self.list_view.setWordWrap(False)
        self.list_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setStyleSheet("QListView::item { padding: 6px 4px; }")
        self.list_view.selectionModel().currentChanged.connect(self._on_current)
        self.empty_label = QLabel(page)
        self.empty_label.setStyleSheet("color: #6b7785;")
        self.empty_label.setWordWrap(True)
        self.new_button = QPushButton(self.tr("New quick reply"), page)
        self.new_button.setObjectName("shortcutNew")
        self.new_button.setToolTip(self.tr("New quick reply (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_reply)
        self.delete_button = QPushButton(self.tr("Delete"), page)
        self.delete_button.setObjectName("shortcutDelete")
        self.delete_button.setToolTip(self.tr("Delete the selected quick reply (Del)"))
        self.delete_button.clicked.connect(self.confirm_delete)
        buttons = list_buttons(self.new_button, self.delete_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 8, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list_view, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        return page

    def _build_form(self) -> QWidget:
        page = QWidget(self)
        self.form_title = QLabel(page)
        self.form_title.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.code_edit = QLineEdit(page)
        self.code_edit.setObjectName("shortcutCode")
        self.code_edit.setPlaceholderText(self.tr("greeting"))
        self.code_edit.setMaxLength(SHORTCUT_MAX + 1)
        self.code_edit.textEdited.connect(lambda _t: self._validate())
        self.code_error = error_label(page)
        self.language_combo = QComboBox(page)
        self.language_combo.addItem(self.tr("Any language"), None)
        self.language_combo.addItem(self.tr("Italian"), "it")
        self.language_combo.addItem(self.tr("English"), "en")
        self.personal_radio = QRadioButton(self.tr("Personal (only you)"), page)
        self.shared_radio = QRadioButton(self.tr("Shared (every agent)"), page)
        self.scope_group = QButtonGroup(page)
        self.scope_group.addButton(self.personal_radio)
        self.scope_group.addButton(self.shared_radio)
        self.personal_radio.setChecked(True)
        scope_row = QHBoxLayout()
        scope_row.addWidget(self.personal_radio)
        scope_row.addWidget(self.shared_radio)
        scope_row.addStretch(1)
        self.scope_note = QLabel(page)
        self.scope_note.setWordWrap(True)
        self.scope_note.setStyleSheet("color: #6b7785;")
        self.text_edit = QPlainTextEdit(page)
        self.text_edit.setObjectName("shortcutText")
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setMaximumHeight(TEXT_MAX_HEIGHT)
        self.text_edit.setPlaceholderText(
            self.tr("Good morning {contact_name}, this is {agent_name}. How can I help?")
        )
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.text_error = error_label(page)
        placeholders = QHBoxLayout()
        placeholders.addWidget(QLabel(self.tr("Insert:"), page))
        self.placeholder_buttons: list[QPushButton] = []
        for name in PLACEHOLDERS:
            button = QPushButton("{" + name + "}", page)
            button.setToolTip(placeholder_label(name))
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, n=name: self._insert_placeholder(n))
            placeholders.addWidget(button)
            self.placeholder_buttons.append(button)
        placeholders.addStretch(1)
        self.placeholder_help = QLabel(
            "  ".join(f"{{{name}}}: {placeholder_label(name)}" for name in PLACEHOLDERS), page
        )
        self.placeholder_help.setStyleSheet("color: #6b7785;")
        self.preview = QLabel(page)
        self.preview.setObjectName("shortcutPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setStyleSheet(
            "background: #dcf8c6; border-radius: 8px; padding: 8px; color: #1f2328;"
        )
        self.form_error = error_label(page)
        self.save_button = QPushButton(self.tr("Save"), page)
        self.save_button.setObjectName("shortcutSave")
        self.save_button.setToolTip(self.tr("Save (Ctrl+S)"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton(self.tr("Cancel"), page)
        self.cancel_button.setToolTip(self.tr("Cancel the changes (Esc)"))
        self.cancel_button.clicked.connect(self.cancel_edit)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.save_button)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Code"), self.code_edit)
        form.addRow("", self.code_error)
        form.addRow(self.tr("Language"), self.language_combo)
        form.addRow(self.tr("Visible to"), scope_row)
        form.addRow("", self.scope_note)
        form.addRow(self.tr("Text"), self.text_edit)
        form.addRow("", self.text_error)
        form.addRow(self.tr("Placeholders"), placeholders)
        form.addRow("", self.placeholder_help)
        form.addRow(self.tr("Preview"), self.preview)
        self.form_page = page
        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 8, 0, 0)
        layout.addWidget(self.form_title)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.form_error)
        layout.addLayout(actions)
        return page

    def _shortcuts(self) -> None:
        editor_keys(
            self,
            self.list_view,
            new=self.new_reply,
            save=self.save,
            cancel=self.cancel_edit,
            delete=self.confirm_delete,
        )

    # --- state --------------------------------------------------------------------------------

    @property
    def is_admin(self) -> bool:
        me = self._context.directory.me
        return me is not None and me.role == "admin"

    def _may_change(self, reply: Canned | None) -> bool:
        return reply is None or reply.owner_id is not None or self.is_admin

    def reload(self) -> None:
        """Take the directory's replies (after any change, here or elsewhere)."""
        current = self.current_reply()
        self.model.set_records(
            sorted(self._context.directory.canned(), key=lambda c: c.shortcut.casefold())
        )
        wanted = self._select_after_reload
        target = next(
            (c for c in self.model.records() if wanted is not None and c.shortcut == wanted),
            None,
        )
        if target is not None:
            self._select_after_reload = None
            self.select(target.id)
        elif current is not None and self.model.row_of(current.id) >= 0:
            self.select(current.id, keep_form=True)
        elif self._editing is not None and self.model.row_of(self._editing.id) < 0:
            self._say(self.tr("This quick reply was deleted meanwhile."))
            self._editing = None
        elif current is None and not self.form_page.isEnabled() and self.proxy.rowCount() > 0:
            # the first reply rather than a greyed empty form titled "New quick reply" (a new
            # reply being written keeps its form: it is enabled)
            self.list_view.setCurrentIndex(self.proxy.index(0, 0))
        self._refresh_empty()
        self._refresh_permissions()

    def _refresh_empty(self) -> None:
        if self.model.rowCount() == 0:
            self.empty_label.setText(self.tr("No quick replies yet: press New quick reply."))
        else:
            self.empty_label.setText(self.tr("No quick reply matches the search."))
        self.empty_label.setVisible(self.proxy.rowCount() == 0)

    def current_reply(self) -> Canned | None:
        index = self.list_view.currentIndex()
        record = index.data(CannedListModel.RECORD_ROLE) if index.isValid() else None
        return record if isinstance(record, Canned) else None

    def select(self, canned_id: int, *, keep_form: bool = False) -> bool:
        """Select the reply with ``canned_id`` (its form opens unless ``keep_form``)."""
        row = self.model.row_of(canned_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row))
        if not index.isValid():
            self.search.clear()
            index = self.proxy.mapFromSource(self.model.index(row))
        self._keep_form = keep_form
        self.list_view.setCurrentIndex(index)
        self._keep_form = False
        return True

    _keep_form = False

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._refresh_permissions()
        if self._keep_form:
            return
        record = current.data(CannedListModel.RECORD_ROLE) if current.isValid() else None
        if isinstance(record, Canned):
            self._show_form(record)

    def _refresh_permissions(self) -> None:
        reply = self.current_reply()
        self.delete_button.setEnabled(reply is not None and self._may_change(reply))
        self.shared_radio.setEnabled(self.is_admin and self._editing is None)
        self.personal_radio.setEnabled(self._editing is None)
        if self._editing is None and not self.is_admin:
            self.scope_note.setText(self.tr("Only admins make shared quick replies."))
        elif self._editing is not None:
            self.scope_note.setText(self.tr("Who sees a reply is chosen when it is made."))
        else:
            self.scope_note.setText("")
        self.scope_note.setVisible(bool(self.scope_note.text()))

    # --- the form -----------------------------------------------------------------------------

    def new_reply(self) -> None:
        """Open an empty form for a new reply (Ctrl+N)."""
        self.list_view.clearSelection()
        self.list_view.setCurrentIndex(QModelIndex())
        self._show_form(None)
        self.code_edit.setFocus()

    def _show_form(self, reply: Canned | None, *, open_form: bool = True) -> None:
        self._editing = reply
        editable = self._may_change(reply)
        if reply is None:
            self.form_title.setText(self.tr("New quick reply"))
        elif editable:
            self.form_title.setText(self.tr("Edit /%s") % reply.shortcut)
        else:
            self.form_title.setText(self.tr("/%s (shared: only admins change it)") % reply.shortcut)
        self.code_edit.setText(reply.shortcut if reply else "")
        language_row = self.language_combo.findData(reply.language if reply else None)
        self.language_combo.setCurrentIndex(max(0, language_row))
        shared = reply is not None and reply.owner_id is None
        (self.shared_radio if shared else self.personal_radio).setChecked(True)
        self.text_edit.setPlainText(reply.text if reply else "")
        for widget in (self.code_edit, self.text_edit):
            set_editable(widget, editable)
        self.language_combo.setEnabled(editable)
        for button in self.placeholder_buttons:
            button.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self.cancel_button.setEnabled(editable)
        for label in (self.code_error, self.text_error, self.form_error):
            label.hide()
        self._refresh_permissions()
        self._refresh_preview()
        self.form_page.setEnabled(open_form or reply is not None)

    def cancel_edit(self) -> None:
        """Drop the changes in the form (Esc): back to the saved reply, or to an empty form."""
        self._show_form(self._editing, open_form=self._editing is not None)
        if self._editing is None:
            self.list_view.setFocus()

    def _insert_placeholder(self, name: str) -> None:
        self.text_edit.insertPlainText("{" + name + "}")
        self.text_edit.setFocus()

    def _on_text_changed(self) -> None:
        self._refresh_preview()
        if self.text_error.isVisible():
            self._validate()

    def _refresh_preview(self) -> None:
        me = self._context.directory.me
        values = {"contact_name": SAMPLE_CONTACT, "agent_name": me.name if me else "Anna"}
        text = self.text_edit.toPlainText()
        self.preview.setText(
            fill_placeholders(text, values) if text.strip() else self.tr("(the text appears here)")
        )

    def _validate(self) -> bool:
        code_problem = shortcut_problem(self.code_edit.text())
        text_problem = "" if self.text_edit.toPlainText().strip() else self.tr("Write the text.")
        for label, problem in ((self.code_error, code_problem), (self.text_error, text_problem)):
            label.setText(problem)
            label.setVisible(bool(problem))
        return not code_problem and not text_problem

    def _say(self, text: str) -> None:
        self.form_error.setText(text)
        self.form_error.setVisible(bool(text))

    # --- saving and deleting ------------------------------------------------------------------

    def save(self) -> None:
        """Create or change the reply in the form (Ctrl+S); the list follows the event."""
        if not self.form_page.isEnabled() or not self.save_button.isEnabled():
            return
        if not self._validate():
            return
        self._say("")
        code = self.code_edit.text().strip().lstrip("/")
        text = self.text_edit.toPlainText()
        language = self.language_combo.currentData()
        self.save_button.setEnabled(False)
        self._tasks.run(self._save(self._editing, code, text, language))

    async def _save(
        self, editing: Canned | None, code: str, text: str, language: str | None
    ) -> None:
        api = self._context.api
        try:
            if editing is None:
                saved = await api.create_canned(
                    code, text, language=language, shared=self.shared_radio.isChecked()
                )
            else:
                saved = await api.update_canned(
                    editing.id, {"shortcut": code, "text": text, "language": language}
                )
        except ApiError as exc:
            self._show_save_error(exc, code)
            return
        except Exception as exc:
            self._say(describe_error(exc))
            return
        finally:
            self.save_button.setEnabled(True)
        self._editing = saved
        if not self.select(saved.id):
            self._select_after_reload = saved.shortcut  # the event brings it in a moment
        self._say("")

    def _show_save_error(self, exc: ApiError, code: str) -> None:
        if isinstance(exc, ConflictError) and exc.code == "shortcut_taken":
            self.code_error.setText(
                self.tr("The code /%s is already used by another quick reply: choose another.")
                % code
            )
            self.code_error.show()
            self.code_edit.setFocus()
        elif isinstance(exc, InvalidError) and exc.field == "shortcut":
            self.code_error.setText(exc.message)
            self.code_error.show()
        elif isinstance(exc, InvalidError) and exc.field == "text":
            self.text_error.setText(exc.message)
            self.text_error.show()
        else:
            self._say(describe_error(exc))

    def confirm_delete(self) -> None:
        """Ask, then delete the selected reply (Del)."""
        reply = self.current_reply()
        if reply is None or not self._may_change(reply):
            return
        self.confirm_box = ask(
            self,
            self.tr("Delete quick reply"),
            self.tr("Delete the quick reply /%s? This cannot be undone.") % reply.shortcut,
            lambda: self.delete(reply),
        )

    def delete(self, reply: Canned) -> None:
        """Delete ``reply`` (no question asked); the list follows the event."""
        self._tasks.run(self._context.api.delete_canned(reply.id), on_error=self._say)
        if self._editing is not None and self._editing.id == reply.id:
            self._show_form(None, open_form=False)

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()
