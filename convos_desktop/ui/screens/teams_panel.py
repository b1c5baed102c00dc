"""The Teams tab of Caselle di posta: the team responsible for an inbox and its agents.

Admins create, rename and delete teams and add or remove their agents; everyone else reads
them. The panel asks the server and shows the directory's teams: the ``team.changed`` event
(for this client's edits as for another admin's) updates the store, then the directory, then
this list.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import Team
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.widgets.admin_list import list_buttons, set_editable, width_bounded
from convos_desktop.ui.widgets.confirm import ask

_ID = Qt.ItemDataRole.UserRole


class TeamsPanel(QWidget):
    """List of teams; the chosen one's name and agents (check boxes), saved by admins."""

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamsPanel")
        self._context = context
        self._tasks = TaskRunner()
        self._new = False  # the form holds a team not created yet
        self._pending_select: int | None = None  # a team made here, shown once its event comes
        self.confirm_box: QMessageBox | None = None

        self.team_list = QListWidget(self)
        self.team_list.setObjectName("teamList")
        self.team_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.team_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.team_list.setStyleSheet("QListWidget::item { padding: 6px 4px; }")
        self.team_list.currentItemChanged.connect(lambda *_: self._show_current())
        self.new_button = QPushButton(self.tr("New team"), self)
        self.new_button.clicked.connect(self.new_team)
        self.delete_button = QPushButton(self.tr("Delete"), self)
        self.delete_button.clicked.connect(self.confirm_delete)
        buttons = list_buttons(self.new_button, self.delete_button)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 8, 8, 0)
        left_layout.addWidget(self.team_list, 1)
        left_layout.addLayout(buttons)

        right = QWidget(self)
        self.name_edit = QLineEdit(right)
        self.name_edit.setObjectName("teamName")
        self.name_edit.setMaxLength(200)
        self.agent_list = QListWidget(right)
        self.agent_list.setObjectName("teamAgents")
        self.read_only_label = QLabel(
            self.tr("Only administrators change teams; you can read them."), right
        )
        self.read_only_label.setStyleSheet("color: #6b7785;")
        self.status = QLabel(right)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.save_button = QPushButton(self.tr("Save"), right)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Agents"), self.agent_list)
        save_row = QHBoxLayout()
        save_row.addWidget(self.status, 1)
        save_row.addWidget(self.save_button)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 8, 0, 0)
        right_layout.addWidget(self.read_only_label)
        right_layout.addLayout(form, 1)
        right_layout.addLayout(save_row)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(width_bounded(right))
        splitter.setStretchFactor(1, 1)  # a wider window widens the form's pane, not the list
        splitter.setSizes([320, 680])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        context.directory.changed.connect(self.reload)
        context.directory.me_changed.connect(self._refresh_permissions)
        self.reload()

    @property
    def is_admin(self) -> bool:
        me = self._context.directory.me
        return me is not None and me.role == "admin"

    def teams(self) -> tuple[Team, ...]:
        return self._context.directory.teams()

    def current_team(self) -> Team | None:
        item = self.team_list.currentItem()
        team_id = item.data(_ID) if item is not None else None
        return next((t for t in self.teams() if t.id == team_id), None)

    def select(self, team_id: int) -> bool:
        """Show the team with ``team_id``."""
        for row in range(self.team_list.count()):
            if self.team_list.item(row).data(_ID) == team_id:
                self.team_list.setCurrentRow(row)
                return True
        return False

    def reload(self) -> None:
        """The directory's teams and agents changed (here or on another client)."""
        chosen = self.current_team()
        self.team_list.blockSignals(True)
        self.team_list.clear()
        for team in self.teams():
            item = QListWidgetItem(f"{team.name} ({len(team.agent_ids)})")
            item.setToolTip(team.name)
            item.setData(_ID, team.id)
            self.team_list.addItem(item)
        self.team_list.blockSignals(False)
        if self._pending_select is not None and self.select(self._pending_select):
            self._pending_select = None
            return
        if chosen is not None and self.select(chosen.id):
            return
        if self._new:
            return
        if self.team_list.count() > 0:
            # the first team rather than an empty form: every agent unchecked read as a team
            # without agents (the Caselle di posta tab shows its first inbox the same way)
            self.team_list.setCurrentRow(0)
        else:
            self._show_current()

    def _show_current(self) -> None:
        team = self.current_team()
        self._new = False
        self._fill_form(team)

    def _fill_form(self, team: Team | None) -> None:
        self.name_edit.setText(team.name if team is not None else "")
        members = set(team.agent_ids) if team is not None else set()
        self.agent_list.clear()
        for agent in sorted(self._context.directory.agents(), key=lambda a: a.name.casefold()):
            item = QListWidgetItem(agent.name)
            item.setData(_ID, agent.id)
            item.setCheckState(
                Qt.CheckState.Checked if agent.id in members else Qt.CheckState.Unchecked
            )
            self.agent_list.addItem(item)
        self._refresh_permissions()

    def _refresh_permissions(self) -> None:
        admin = self.is_admin
        shown = self._new or self.current_team() is not None
        for button in (self.new_button, self.delete_button, self.save_button):
            button.setVisible(admin)
        self.delete_button.setEnabled(self.current_team() is not None and not self._new)
        self.save_button.setEnabled(shown)
        self.read_only_label.setVisible(not admin)
        set_editable(self.name_edit, admin and shown)
        for row in range(self.agent_list.count()):
            item = self.agent_list.item(row)
            flags = Qt.ItemFlag.ItemIsEnabled
            if admin and shown:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            item.setFlags(flags)

    def checked_agent_ids(self) -> list[int]:
        return [
            int(self.agent_list.item(row).data(_ID))
            for row in range(self.agent_list.count())
            if self.agent_list.item(row).checkState() == Qt.CheckState.Checked
        ]

    def new_team(self) -> None:
        """An empty form for a new team."""
        self.team_list.blockSignals(True)
        self.team_list.setCurrentRow(-1)
        self.team_list.blockSignals(False)
        self._new = True
        self._fill_form(None)
        self.name_edit.setFocus()

    def save(self) -> None:
        """Create the new team, or rename the chosen one and set its agents."""
        name = self.name_edit.text().strip()
        if not name:
            self._say(self.tr("Give the team a name."), error=True)
            self.name_edit.setFocus()
            return
        agent_ids = self.checked_agent_ids()
        team = None if self._new else self.current_team()
        self._say(self.tr("Saving…"))
        self._tasks.run(self._save(team, name, agent_ids), on_error=self._failed)

    async def _save(self, team: Team | None, name: str, agent_ids: list[int]) -> None:
        api = self._context.api
        if team is None:
            made = await api.create_team(name, agent_ids)
            self._new = False
            self._pending_select = made.id
        else:
            await api.update_team(team.id, {"name": name, "agent_ids": agent_ids})
        self._say(self.tr("Saved."))

    def confirm_delete(self) -> None:
        team = self.current_team()
        if team is None:
            return
        self.confirm_box = ask(
            self,
            self.tr("Delete team"),
            self.tr(
                "Delete the team {name}? Its inboxes keep their tickets but have no team: "
                "new tickets wait in Non assegnato."
            ).format(name=team.name),
            lambda: self._tasks.run(self._delete(team.id), on_error=self._failed),
        )

    async def _delete(self, team_id: int) -> None:
        await self._context.api.delete_team(team_id)
        self._say(self.tr("Team deleted."))

    def _failed(self, message: str) -> None:
        self._say(message, error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet("color: #c01c28;" if error else "color: #3d4752;")
        self.status.setText(text)

    async def shutdown(self) -> None:
        """Stop background work."""
        self._tasks.cancel_all()
        await self._tasks.wait_idle()
