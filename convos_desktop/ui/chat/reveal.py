"""Scrolling a chat to one message (a search result): loading the rows around it when it is
not among the rows the model holds."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QListView

from convos_desktop.models.thread import ThreadModel

NEAR_PAGES = 2  # older pages fetched looking for the message before loading around it


class MessageRevealer(QObject):
    """Shows one message of ``model`` in ``view``: centred and selected once it is loaded.

    The newest page may still be coming (the model is filled later) and the message may be
    outside the rows the model holds (older, or newer when the agent scrolled up and the
    model dropped them): each change of the model tries again; a message just older than the
    rows is paged in (up to :data:`NEAR_PAGES` pages), any other is loaded with the rows
    around it (``ThreadModel.load_around``, once). Opening another conversation gives up.
    """

    revealed = Signal(int)  # message id

    def __init__(self, view: QListView, model: ThreadModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._target: tuple[int, int] | None = None
        self._pages = 0
        self._around = False  # the rows around the message were asked for
        model.older_loaded.connect(self._retry)
        model.rowsInserted.connect(self._retry)
        model.modelReset.connect(self._retry)
        model.older_failed.connect(self._give_up)

    @property
    def pending(self) -> bool:
        return self._target is not None

    def reveal(self, conversation_id: int, message_id: int) -> None:
        """Show ``message_id`` as soon as the conversation shown holds it."""
        self._target = (conversation_id, message_id)
        self._pages = 0
        self._around = False
        self._retry()

    def _give_up(self, *_args: object) -> None:
        self._target = None

    def _retry(self, *_args: object) -> None:
        if self._target is None:
            return
        conversation_id, message_id = self._target
        if self._model.conversation_id != conversation_id:
            if self._model.conversation_id is not None:
                self._target = None  # the agent opened another conversation
            return
        if self._model.row_of_id(message_id) >= 0:
            self._target = None
            # After the view has laid out the rows just added.
            QTimer.singleShot(0, lambda: self._scroll_to(message_id))
            return
        if self._model.is_loading:
            return  # a page is coming: try again when it is in
        if self._around:
            self._target = None  # not in the conversation around its id: nothing to show
            return
        first = self._model.message_at(0)
        older = first is not None and 0 < message_id < first.id
        if older and self._pages < NEAR_PAGES and self._model.fetch_older():
            self._pages += 1
        elif self._model.load_around(message_id):
            self._around = True

    def _scroll_to(self, message_id: int) -> None:
        row = self._model.row_of_id(message_id)
        if row < 0:
            return
        model: QAbstractItemModel = self._model
        index = model.index(row, 0)
        self._view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self._view.setCurrentIndex(index)
        self.revealed.emit(message_id)
