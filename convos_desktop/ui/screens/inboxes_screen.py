"""Caselle di posta: the inboxes screen (admins edit, other agents read), plus the file library.

An inbox has a name, a channel, the team responsible for it (its agents are listed with their
status), the assignment mode for new tickets (manual, round robin, least busy), a per-agent cap,
free business-hours text and an active flag. Its ingress key is shown once, right after the
inbox is made or the key is rotated (with a confirmation), with a Copy button. Changes come back
to every client through ``inbox.changed``; an inbox with open tickets or history is not
deleted, and the screen says what to do instead.
Keys: Ctrl+N new inbox, Ctrl+S save, Delete deletes the selected inbox, Esc cancels the edit.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import ApiError, InvalidError
from convos_desktop.core.types import Inbox, Team
from convos_desktop.models.navigation import NavTarget, target_label
from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.chat.library import LibraryFiles, LibraryPanel
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.screens.teams_panel import TeamsPanel
from convos_desktop.ui.shell.header_bar import status_names
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

log = logging.getLogger("convos.ui.inboxes")

CHANNELS = ("whatsapp", "web", "email", "telegram", "sms")
MODES = ("manual", "round_robin", "least_busy")
NAME_MAX = 200
HOURS_MAX = 500
CAP_MAX = 999
INACTIVE_GREY = "#8a94a0"


def _tr(text: str) -> str:
    return QCoreApplication.translate("InboxesScreen", text)


def channel_name(channel: str) -> str:
    names = {
        "whatsapp": _tr("WhatsApp"),
        "web": _tr("Web chat"),
        "email": _tr("E-mail"),
        "telegram": _tr("Telegram"),
        "sms": _tr("SMS"),
    }
    return names.get(channel, channel)


def mode_name(mode: str) -> str:
    names = {
        "manual": _tr("Manual: agents take tickets"),
        "round_robin": _tr("Round robin: the next online agent of the team"),
        "least_busy": _tr("Least busy: the online agent with fewest open tickets"),
    }
    return names.get(mode, mode)


def delete_refusal(exc: ApiError) -> str:
    """What to do when the server refuses to delete an inbox."""
    if exc.code == "inbox_has_open_tickets":
        count = int(exc.extra.get("open_tickets") or 0)
        return QCoreApplication.translate(
            "InboxesScreen",
            "This inbox still has %n open ticket(s): close them first, or deactivate the "
            "inbox instead (untick Active and save).",
            "",
            count,
        )
    if exc.code == "inbox_in_use":
        return _tr(
            "This inbox keeps the history of its conversations, so it cannot be deleted: "
            "deactivate it instead (untick Active and save)."
        )
    return describe_error(exc)


class InboxListModel(RecordListModel[Inbox]):
    """The inboxes the agent sees: name, channel, mode; inactive ones say so."""

    def row_of(self, inbox_id: int) -> int:
        return next((i for i, b in enumerate(self._records) if b.id == inbox_id), -1)

    def record_data(self, record: Inbox, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            line = f"{record.name}\n{channel_name(record.channel)}"
            return line if record.active else f"{line} · {self.tr('inactive')}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.name
        if role == Qt.ItemDataRole.ForegroundRole and not record.active:
            return QColor(INACTIVE_GREY)
        return None


class InboxesScreen(QWidget):
    """See the module docstring."""

    def __init__(
        self, context: ClientContext, library: LibraryFiles, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("inboxesScreen")
        self._context = context
        self._tasks = TaskRunner()
        self._editing: Inbox | None = None
        self._form_open = False
        self._known_ids: set[int] = set()
        self._deleted_here: set[int] = set()
        self._teams: list[Team] = context.store.teams()
        self.model = InboxListModel(self)

        title = screen_title(target_label(NavTarget.INBOXES), self)
        intro = QLabel(
            self.tr(
                "Inboxes classify conversations and name the team responsible, with the "
                "assignment settings of each. Admins change them; everyone else reads them."
            ),
            self,
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #6b7785;")
        self.tabs = QTabWidget(self)
        self.inboxes_tab = self._build_inboxes_tab()
        self.tabs.addTab(self.inboxes_tab, self.tr("Inboxes"))
        self.library_panel = LibraryPanel(context.api, library, context.thumbnails, self)
        self.tabs.addTab(self.library_panel, self.tr("File library"))
        self.teams_panel = TeamsPanel(context, self)
        self.tabs.addTab(self.teams_panel, self.tr("Teams"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.tabs, 1)
        self._shortcuts()

        context.directory.changed.connect(self.reload)
        context.directory.me_changed.connect(self._refresh_permissions)
        self._show_form(None, open_form=False)
        self.reload()

    # --- building -----------------------------------------------------------------------------

    def _build_inboxes_tab(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_list())
        splitter.addWidget(width_bounded(self._build_form()))
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 680])
        splitter.setChildrenCollapsible(False)
        return splitter

    def _build_list(self) -> QWidget:
        page = QWidget(self)
        self.list_view = QListView(page)
        self.list_view.setObjectName("inboxList")
        self.list_view.setModel(self.model)
        self.list_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setStyleSheet("QListView::item { padding: 6px 4px; }")
        self.list_view.selectionModel().currentChanged.connect(self._on_current)
        self.model.modelReset.connect(self._select_first_when_idle)
        self.model.rowsInserted.connect(self._select_first_when_idle)
        self.new_button = QPushButton(self.tr("New inbox"), page)
        self.new_button.setObjectName("inboxNew")
        self.new_button.setToolTip(self.tr("New inbox (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_inbox)
        self.delete_button = QPushButton(self.tr("Delete"), page)
        self.delete_button.setObjectName("inboxDelete")
        self.delete_button.setToolTip(self.tr("Delete the selected inbox (Del)"))
        self.delete_button.clicked.connect(self.confirm_delete)
        buttons = list_buttons(self.new_button, self.delete_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 8, 0)
        layout.addWidget(self.list_view, 1)
        layout.addLayout(buttons)
        return page

    def _build_form(self) -> QWidget:
        page = QWidget(self)
        self.form_title = QLabel(page)
        self.form_title.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.form_title.setWordWrap(True)
        self.name_edit = QLineEdit(page)
        self.name_edit.setObjectName("inboxName")
        self.name_edit.setMaxLength(NAME_MAX)
        self.name_edit.setPlaceholderText(self.tr("WhatsApp Sales"))
        self.name_edit.textEdited.connect(lambda _t: self._validate())
        self.name_error = error_label(page)
        self.channel_combo = QComboBox(page)
        for channel in CHANNELS:
            self.channel_combo.addItem(channel_name(channel), channel)
        self.team_combo = QComboBox(page)
        self.team_combo.setObjectName("inboxTeam")
        self.team_combo.currentIndexChanged.connect(self._refresh_team_agents)
        self.team_agents = QLabel(page)
        self.team_agents.setObjectName("inboxTeamAgents")
        self.team_agents.setWordWrap(True)
        self.team_agents.setTextFormat(Qt.TextFormat.PlainText)
        self.team_agents.setStyleSheet("color: #3d4752;")
        self.mode_combo = QComboBox(page)
        self.mode_combo.setObjectName("inboxMode")
        for mode in MODES:
            self.mode_combo.addItem(mode_name(mode), mode)
        self.cap_spin = QSpinBox(page)
        self.cap_spin.setObjectName("inboxCap")
        self.cap_spin.setRange(0, CAP_MAX)
        self.cap_spin.setSpecialValueText(self.tr("No limit"))
        self.cap_spin.setToolTip(
            self.tr("The most open tickets one agent may hold in this inbox (0: no limit)")
        )
        self.hours_edit = QLineEdit(page)
        self.hours_edit.setObjectName("inboxHours")
        self.hours_edit.setMaxLength(HOURS_MAX)
        self.hours_example = self.tr("Mon-Fri 9:00-18:00, Sat 9:00-13:00")
        self.active_check = QCheckBox(self.tr("Active (takes new customer messages)"), page)
        self.active_check.setObjectName("inboxActive")
        self.key_edit = QLineEdit(page)
        self.key_edit.setObjectName("inboxKey")
        set_editable(self.key_edit, False)
        self.key_edit.setPlaceholderText(self.tr("Shown once, when the inbox is made or rotated"))
        self.copy_button = QPushButton(self.tr("Copy"), page)
        self.copy_button.setObjectName("inboxKeyCopy")
        self.copy_button.clicked.connect(self.copy_key)
        self.rotate_button = QPushButton(self.tr("Rotate key…"), page)
        self.rotate_button.setObjectName("inboxKeyRotate")
        self.rotate_button.clicked.connect(self.confirm_rotate)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.copy_button)
        key_row.addWidget(self.rotate_button)
        self.key_note = QLabel(page)
        self.key_note.setWordWrap(True)
        self.key_note.setStyleSheet("color: #7a5200;")
        self.form_error = error_label(page)
        self.read_only_label = QLabel(self.tr("Only admins change inboxes."), page)
        self.read_only_label.setStyleSheet("color: #6b7785;")
        self.save_button = QPushButton(self.tr("Save"), page)
        self.save_button.setObjectName("inboxSave")
        self.save_button.setToolTip(self.tr("Save (Ctrl+S)"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton(self.tr("Cancel"), page)
        self.cancel_button.setToolTip(self.tr("Cancel the changes (Esc)"))
        self.cancel_button.clicked.connect(self.cancel_edit)
        actions = QHBoxLayout()
        actions.addWidget(self.read_only_label)
        actions.addStretch(1)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.save_button)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow("", self.name_error)
        form.addRow(self.tr("Channel"), self.channel_combo)
        form.addRow(self.tr("Responsible team"), self.team_combo)
        form.addRow(self.tr("Team agents"), self.team_agents)
        form.addRow(self.tr("Assignment"), self.mode_combo)
        form.addRow(self.tr("Open tickets per agent"), self.cap_spin)
        form.addRow(self.tr("Business hours"), self.hours_edit)
        form.addRow("", self.active_check)
        form.addRow(self.tr("Inbox key"), key_row)
        self._form_layout = form
        self._key_row = key_row
        form.addRow("", self.key_note)
        self.form_page = page
        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 8, 0, 0)
        layout.addWidget(self.form_title)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.form_error)
        layout.addLayout(actions)
        self.setTabOrder(self.list_view, self.name_edit)
        for first, second in zip(
            (self.name_edit, self.channel_combo, self.team_combo, self.mode_combo, self.cap_spin,
             self.hours_edit, self.active_check, self.copy_button, self.rotate_button,
             self.save_button),
            (self.channel_combo, self.team_combo, self.mode_combo, self.cap_spin,
             self.hours_edit, self.active_check, self.copy_button, self.rotate_button,
             self.save_button, self.cancel_button),
            strict=True,
        ):  # fmt: skip
            self.setTabOrder(first, second)
        return page

    def _shortcuts(self) -> None:
        editor_keys(
            self.inboxes_tab,
            self.list_view,
            new=self.new_inbox,
            save=self.save,
            cancel=self.cancel_edit,
            delete=self.confirm_delete,
        )

    # --- state --------------------------------------------------------------------------------

    @property
    def is_admin(self) -> bool:
        me = self._context.directory.me
        return me is not None and me.role == "admin"

    def _fill_teams(self) -> None:
        chosen = self.team_combo.currentData()
        self.team_combo.blockSignals(True)
        self.team_combo.clear()
        self.team_combo.addItem(self.tr("No team"), None)
        for team in self._teams:
            self.team_combo.addItem(team.name, team.id)
        self.team_combo.setCurrentIndex(max(0, self.team_combo.findData(chosen)))
        self.team_combo.blockSignals(False)
        self._refresh_team_agents()

    def _refresh_team_agents(self, *_: object) -> None:
        team_id = self.team_combo.currentData()
        team = next((t for t in self._teams if t.id == team_id), None)
        if team is None:
            self.team_agents.setText(self.tr("No team: new tickets wait in Non assegnato."))
            return
        directory = self._context.directory
        lines = []
        for agent_id in team.agent_ids:
            agent = directory.agent(agent_id)
            if agent is not None:
                lines.append(f"{agent.name} · {status_names().get(agent.status, '')}")
        self.team_agents.setText("\n".join(lines) or self.tr("The team has no agents yet."))

    def reload(self) -> None:
        """Take the directory's inboxes (after any change, here or on another client).

        The inbox in the form stays selected; its fields follow the change unless the form
        holds unsaved edits. One deleted elsewhere closes the form and says so.
        """
        target = self._editing or self.current_inbox()
        records = sorted(self._context.directory.inboxes(), key=lambda b: b.name.casefold())
        self.model.set_records(records)
        if target is not None:
            row = self.model.row_of(target.id)
            if row >= 0:
                self._select_row(row)
                fresh = self.model.record_at(row)
                if fresh != self._editing and not self._dirty():
                    self._show_form(fresh, keep_key=True)
            elif target.id in self._known_ids:
                if target.id not in self._deleted_here:
                    self._say(self.tr("This inbox was deleted meanwhile."))
                self._show_form(None, open_form=False)
        self._known_ids = {inbox.id for inbox in records}
        teams = list(self._context.directory.teams()) or self._context.store.teams()
        if teams != self._teams:  # team.changed events keep the directory's teams current
            self._teams = teams
            self._fill_teams()
        self._refresh_team_agents()
        self._refresh_permissions()

    def current_inbox(self) -> Inbox | None:
        index = self.list_view.currentIndex()
        record = index.data(InboxListModel.RECORD_ROLE) if index.isValid() else None
        return record if isinstance(record, Inbox) else None

    def select(self, inbox_id: int) -> bool:
        """Select the inbox with ``inbox_id`` and show it in the form."""
        row = self.model.row_of(inbox_id)
        if row < 0:
            return False
        self.list_view.setCurrentIndex(self.model.index(row))
        return True

    def _select_first_when_idle(self) -> None:
        """Show the first inbox while nothing is selected and no form is open (an empty
        form of greyed placeholders reads as a broken screen)."""
        if self.list_view.currentIndex().isValid() or self._form_open:
            return
        if self.model.rowCount() > 0:
            self.list_view.setCurrentIndex(self.model.index(0))

    def _select_row(self, row: int) -> None:
        selection = self.list_view.selectionModel()
        selection.blockSignals(True)
        self.list_view.setCurrentIndex(self.model.index(row))
        selection.blockSignals(False)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        record = current.data(InboxListModel.RECORD_ROLE) if current.isValid() else None
        if isinstance(record, Inbox):
            self._show_form(record)
        self._refresh_permissions()

    def _refresh_permissions(self) -> None:
        admin = self.is_admin
        self.library_panel.set_admin(admin)
        self.new_button.setVisible(admin)
        self.delete_button.setVisible(admin)
        self.delete_button.setEnabled(self.current_inbox() is not None)
        self.read_only_label.setVisible(not admin)
        editable = admin and self._form_open
        for widget in (
            self.name_edit,
            self.hours_edit,
        ):
            set_editable(widget, editable)
        # an example is a hint to who types; read only, it would pass for the inbox's hours
        self.hours_edit.setPlaceholderText(self.hours_example if editable else self.tr("Not given"))
        for other in (
            self.channel_combo,
            self.team_combo,
            self.mode_combo,
            self.cap_spin,
            self.active_check,
            self.save_button,
            self.cancel_button,
        ):
            other.setEnabled(editable)
        self.rotate_button.setVisible(admin)
        self.rotate_button.setEnabled(editable and self._editing is not None)
        self.copy_button.setVisible(admin)
        self.copy_button.setEnabled(bool(self.key_edit.text()))
        self.key_edit.setVisible(admin)
        self._form_layout.setRowVisible(self._key_row, admin)  # only admins see the key
        self.key_note.setVisible(admin and bool(self.key_note.text()))

    # --- the form -----------------------------------------------------------------------------

    def new_inbox(self) -> None:
        """An empty form for a new inbox (Ctrl+N, admins)."""
        if not self.is_admin:
            return
        self.list_view.clearSelection()
        self.list_view.setCurrentIndex(QModelIndex())
        self._show_form(None)
        self.name_edit.setFocus()

    def _show_form(
        self, inbox: Inbox | None, *, open_form: bool = True, keep_key: bool = False
    ) -> None:
        self._editing = inbox
        self._form_open = open_form or inbox is not None
        if inbox is None:
            self.form_title.setText(self.tr("New inbox") if self._form_open else "")
        else:
            self.form_title.setText(inbox.name)
        self.name_edit.setText(inbox.name if inbox else "")
        self.channel_combo.setCurrentIndex(
            max(0, self.channel_combo.findData(inbox.channel if inbox else "whatsapp"))
        )
        self._fill_teams()
        self.team_combo.setCurrentIndex(
            max(0, self.team_combo.findData(inbox.team_id if inbox else None))
        )
        self.mode_combo.setCurrentIndex(
            max(0, self.mode_combo.findData(inbox.assignment if inbox else "manual"))
        )
        self.cap_spin.setValue((inbox.max_open_per_agent or 0) if inbox else 0)
        self.hours_edit.setText(inbox.business_hours if inbox else "")
        self.active_check.setChecked(inbox.active if inbox else True)
        if not keep_key:
            self._show_key("")
        for label in (self.name_error, self.form_error):
            label.hide()
        self._refresh_team_agents()
        self._refresh_permissions()

    def _fields(self) -> dict[str, Any]:
        return {
            "name": self.name_edit.text().strip(),
            "channel": self.channel_combo.currentData(),
            "team_id": self.team_combo.currentData(),
            "assignment": self.mode_combo.currentData(),
            "max_open_per_agent": self.cap_spin.value() or None,
            "business_hours": self.hours_edit.text().strip(),
            "active": self.active_check.isChecked(),
        }

    def _dirty(self) -> bool:
        """Whether the form holds changes not saved yet."""
        if not self._form_open or self._editing is None:
            return False
        saved = self._editing
        fields = self._fields()
        return fields != {
            "name": saved.name,
            "channel": saved.channel,
            "team_id": saved.team_id,
            "assignment": saved.assignment,
            "max_open_per_agent": saved.max_open_per_agent,
            "business_hours": saved.business_hours,
            "active": saved.active,
        }

    def cancel_edit(self) -> None:
        """Drop the changes in the form (Esc)."""
        self._show_form(self._editing, open_form=self._editing is not None, keep_key=True)

    def _validate(self) -> bool:
        problem = "" if self.name_edit.text().strip() else self.tr("Give the inbox a name.")
        self.name_error.setText(problem)
        self.name_error.setVisible(bool(problem))
        return not problem

    def _say(self, text: str) -> None:
        self.form_error.setText(text)
        self.form_error.setVisible(bool(text))

    def _show_key(self, key: str) -> None:
        self.key_edit.setText(key)
        self.key_note.setText(
            self.tr("Copy the key now: it is shown only this once.") if key else ""
        )
        self.copy_button.setEnabled(bool(key))
        self.key_note.setVisible(bool(key))

    def copy_key(self) -> None:
        """Put the shown key on the clipboard."""
        if self.key_edit.text():
            QGuiApplication.clipboard().setText(self.key_edit.text())
            self.key_note.setText(self.tr("Copied. It is shown only this once."))

    # --- saving, deleting, rotating -----------------------------------------------------------

    def save(self) -> None:
        """Create or change the inbox in the form (Ctrl+S); the list follows the event."""
        if not self.is_admin or not self._form_open or not self._validate():
            return
        self._say("")
        self.save_button.setEnabled(False)
        self._tasks.run(self._save(self._editing, self._fields()))

    async def _save(self, editing: Inbox | None, fields: dict[str, Any]) -> None:
        api = self._context.api
        try:
            if editing is None:
                body = await api.create_inbox(fields)
                saved = Inbox.from_json(body)
                key = str(body.get("api_key") or "")
            else:
                saved = await api.update_inbox(editing.id, fields)
                key = ""
        except InvalidError as exc:
            if exc.field == "name":
                self.name_error.setText(exc.message)
                self.name_error.show()
            else:
                self._say(describe_error(exc))
            return
        except Exception as exc:
            self._say(describe_error(exc))
            return
        finally:
            self.save_button.setEnabled(self._form_open)
        self._editing = saved
        self.form_title.setText(saved.name)
        row = self.model.row_of(saved.id)
        if row >= 0:  # the event came first; otherwise reload() selects it when it comes
            self._select_row(row)
        if key:
            self._show_key(key)
        self._refresh_permissions()

    def confirm_delete(self) -> None:
        """Ask, then delete the selected inbox (Del, admins)."""
        inbox = self.current_inbox()
        if inbox is None or not self.is_admin:
            return
        self.confirm_box = ask(
            self,
            self.tr("Delete inbox"),
            self.tr("Delete the inbox %s? This cannot be undone.") % inbox.name,
            lambda: self._tasks.run(self._delete(inbox)),
        )

    async def _delete(self, inbox: Inbox) -> None:
        self._deleted_here.add(inbox.id)
        try:
            await self._context.api.delete_inbox(inbox.id)
        except ApiError as exc:
            self._deleted_here.discard(inbox.id)
            self._say(delete_refusal(exc))
            return
        if self._editing is not None and self._editing.id == inbox.id:
            self._show_form(None, open_form=False)

    def confirm_rotate(self) -> None:
        """Ask, then give the inbox a new key (the old one stops working at once)."""
        inbox = self._editing
        if inbox is None or not self.is_admin:
            return
        self.confirm_box = ask(
            self,
            self.tr("Rotate inbox key"),
            self.tr(
                "Give %s a new key? The current key stops working at once: the channel "
                "gateway needs the new one."
            )
            % inbox.name,
            lambda: self._tasks.run(self._rotate(inbox), on_error=self._say),
        )

    async def _rotate(self, inbox: Inbox) -> None:
        key = await self._context.api.rotate_inbox_key(inbox.id)
        if self._editing is not None and self._editing.id == inbox.id:
            self._show_key(key)

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()
        await self.library_panel.wait_idle()
