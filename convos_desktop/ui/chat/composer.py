"""The message bar under a conversation: text, emoji, quick replies, notes, reply-to, files.

Embedded by the main window under the chat view. Enter sends, Shift+Enter starts a new line;
the caller decides what may be sent (``set_can_reply`` / ``set_can_note``) and saves drafts
(``draftChanged``, debounced by the core). Internal-note mode is unmistakable: amber bar,
"Internal note" label, "Add note" button.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import Agent, Canned, Draft, FileInfo, ReplyPreview
from convos_desktop.ui.chat.attachments import AttachmentsDialog, PendingAttachment
from convos_desktop.ui.chat.mention_completer import ColleagueModel, MentionCompleter
from convos_desktop.ui.chat.quick_replies import (
    CannedModel,
    PrefixCompleter,
    QuickRepliesButton,
    ShortcutCompleter,
    first_line,
    insert_reply,
)
from convos_desktop.ui.chat.thumbnails import ThumbnailCache
from convos_desktop.ui.formatting import format_size
from convos_desktop.ui.theme import set_font_parts, set_text_color
from convos_desktop.ui.widgets.elided_label import ElidedLabel

# The emoji picker is imported when first opened (issue 16: code not run at launch).
if TYPE_CHECKING:
    from convos_desktop.ui.chat.emoji_picker import EmojiCatalog, EmojiPicker

log = logging.getLogger("convos.ui.composer")

MIN_LINES = 1
MAX_LINES = 6
NOTE_COLOR = "#fff1c2"
NOTE_BORDER = "#e0a100"
BLOCKED_COLOR = "#aa1111"  # why sending is not allowed now
# In note mode the send button ("Add note") is amber too: the mode shows where the eye goes.
NOTE_BUTTON_RULE = (
    f"#sendButton {{ background: {NOTE_BORDER}; color: #2b1d00; font-weight: bold;"
    " border: 1px solid #b07d00; border-radius: 4px; padding: 4px 14px; }"
    " #sendButton:disabled { background: #f0d68a; color: #7a6a40; }"
)


# The composer in note mode (a message has no sheet of its own: each widget under a style
# sheet is drawn through a QStyleSheetStyle with its rules cached, issue 16).
NOTE_STYLE = (
    f"#composer {{ background: {NOTE_COLOR}; border-top: 3px solid {NOTE_BORDER}; }}"
    f" #composer QPlainTextEdit {{ background: {NOTE_COLOR}; }} {NOTE_BUTTON_RULE}"
)


class ReplyBanner(QFrame):
    """The message being answered, above the text box: a highlight-coloured bar at its left
    on the palette's alternate base (painted, not a style sheet)."""

    BAR_PX = 3

    def paintEvent(self, event: QPaintEvent) -> None:
        """The background, then the bar."""
        painter = QPainter(self)
        palette = self.palette()
        rect = self.rect()
        painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        painter.fillRect(
            0, 0, self.BAR_PX, rect.height(), palette.color(QPalette.ColorRole.Highlight)
        )


class MessageEdit(QPlainTextEdit):
    """The text box: Enter asks to send, Shift+Enter inserts a new line; grows 1-6 lines."""

    sendPressed = Signal()  # noqa: N815 (Qt signal naming)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.completers: list[PrefixCompleter] = []
        self.setTabChangesFocus(True)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        is_enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if is_enter and not shift and not any(c.is_active() for c in self.completers):
            self.sendPressed.emit()
            return
        if is_enter and shift:
            self.textCursor().insertText("\n")
            return
        super().keyPressEvent(event)

    def _fit_height(self) -> None:
        lines = int(self.document().size().height())
        lines = max(MIN_LINES, min(MAX_LINES, lines))
        document_margin = 2 * self.document().documentMargin()
        height = lines * self.fontMetrics().lineSpacing() + document_margin + 2 * self.frameWidth()
        self.setFixedHeight(int(height) + 2)
        policy = (
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if lines >= MAX_LINES
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.setVerticalScrollBarPolicy(policy)


class AttachmentChip(QFrame):
    """A pending file above the text box, with a button to drop it."""

    removeRequested = Signal(object)  # noqa: N815 (Qt signal naming)

    def __init__(self, attachment: PendingAttachment, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        self.setObjectName("attachmentChip")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(
            "#attachmentChip { border: 1px solid palette(mid); border-radius: 10px; }"
        )
        label = QLabel(f"{attachment.name} · {format_size(attachment.size)}", self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setToolTip(attachment.name)
        label.setMaximumWidth(220)
        metrics = label.fontMetrics()
        label.setText(metrics.elidedText(label.text(), Qt.TextElideMode.ElideMiddle, 210))
        remove = QToolButton(self)
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip(self.tr("Remove attachment"))
        remove.clicked.connect(lambda: self.removeRequested.emit(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 2, 0)
        layout.addWidget(label)
        layout.addWidget(remove)


class Composer(QFrame):
    """The message bar; emits ``sendRequested(text, is_note, reply_to, attachments)``."""

    sendRequested = Signal(str, bool, object, list)  # noqa: N815 (Qt signal naming)
    draftChanged = Signal(object)  # noqa: N815 (Draft)
    typing = Signal(str)  # "text" or "note": the agent typed (not a draft being shown)

    def __init__(
        self,
        settings: QSettings,
        parent: QWidget | None = None,
        emoji_catalog: EmojiCatalog | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._settings = settings
        self._emoji_catalog = emoji_catalog
        self._emoji_picker: EmojiPicker | None = None
        self._language = "en"
        self._conversation_id: int | None = None
        self._reply_to: int | None = None
        self._attachments: list[PendingAttachment] = []
        self._library: list[FileInfo] = []
        self._thumbnails: ThumbnailCache | None = None
        self._attachments_dialog: AttachmentsDialog | None = None
        self._values: dict[str, str] = {}
        self._can_reply, self._reply_reason = True, ""
        self._can_note, self._note_reason = True, ""
        self._loading = False
        self._styled_as_note: bool | None = None  # the mode the look was last set for
        self.canned_model = CannedModel(parent=self)

        self.reply_banner = self._build_reply_banner()
        self.chips_row = QHBoxLayout()
        self.chips_row.setContentsMargins(0, 0, 0, 0)
        self.chips_row.addStretch(1)
        self.mode_label = ElidedLabel(self)  # shrinks: it must not widen the chat pane
        self.mode_label.setText(self.tr("Internal note: only agents will see it"))
        self.mode_label.setObjectName("noteLabel")
        set_text_color(self.mode_label, "#7a5200")
        set_font_parts(self.mode_label, weight=QFont.Weight.Bold)
        self.edit = MessageEdit(self)
        self.edit.sendPressed.connect(self.send)
        self.edit.textChanged.connect(self._on_text_changed)
        key_hints = self.tr("Enter sends, Shift+Enter starts a new line, / opens quick replies")
        self.edit.setToolTip(key_hints)
        self.edit.setStatusTip(key_hints)
        self.completer = ShortcutCompleter(self.edit, self.canned_model)
        self.colleague_model = ColleagueModel(self)
        self.mention_completer = MentionCompleter(self.edit, self.colleague_model)
        self.edit.completers = [self.completer, self.mention_completer]
        self.reason_label = QLabel(self)
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextFormat(Qt.TextFormat.PlainText)
        set_text_color(self.reason_label, BLOCKED_COLOR)

        self.emoji_button = self._tool_button("🙂", self.tr("Emoticon"))
        self.emoji_button.clicked.connect(self.show_emoji_picker)
        self.quick_button = QuickRepliesButton(self.canned_model, self)
        self.quick_button.setText("⚡")
        self.quick_button.setFont(self.emoji_button.font())
        self.quick_button.replyChosen.connect(self._insert_reply)
        self.attach_button = self._tool_button("📎", self.tr("Attachments"))
        self.attach_button.clicked.connect(self.show_attachments_dialog)
        self.note_button = self._tool_button("📝", self.tr("Internal note"))
        self.note_button.setCheckable(True)
        self.note_button.toggled.connect(self._on_note_toggled)
        self.send_button = QPushButton(self)
        self.send_button.setObjectName("sendButton")
        self.send_button.clicked.connect(self.send)

        tools = QHBoxLayout()
        for button in (self.emoji_button, self.quick_button, self.attach_button):
            tools.addWidget(button)
        tools.addWidget(self.note_button)
        tools.addStretch(1)
        tools.addWidget(self.reason_label, 3)
        tools.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.reply_banner)
        layout.addLayout(self.chips_row)
        layout.addWidget(self.mode_label)  # a row of its own: never squeezed out of sight
        layout.addWidget(self.edit)
        layout.addLayout(tools)
        self._refresh_mode()

    def _tool_button(self, glyph: str, tooltip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(glyph)
        button.setToolTip(tooltip)
        button.setAccessibleName(tooltip)
        button.setAutoRaise(True)
        font = button.font()
        font.setPointSize(font.pointSize() + 3)
        button.setFont(font)
        return button

    def _build_reply_banner(self) -> QFrame:
        banner = ReplyBanner(self)
        banner.setObjectName("replyBanner")
        banner.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # Elided labels: a long name or quote must not widen the chat pane (and squeeze the
        # ticket list); the full text is in the tooltip.
        self.reply_sender = ElidedLabel(banner)
        set_font_parts(self.reply_sender, weight=QFont.Weight.Bold)
        self.reply_text = ElidedLabel(banner)
        cancel = QToolButton(banner)
        cancel.setText("✕")
        cancel.setAutoRaise(True)
        cancel.setToolTip(self.tr("Cancel reply"))
        cancel.clicked.connect(self.clear_reply)
        self.reply_cancel_button = cancel
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.reply_sender)
        text.addWidget(self.reply_text)
        layout = QHBoxLayout(banner)
        layout.setContentsMargins(8, 2, 2, 2)
        layout.addLayout(text, 1)
        layout.addWidget(cancel)
        banner.hide()
        return banner

    # --- inputs from the caller -------------------------------------------------------------

    def set_draft(self, draft: Draft, reply_preview: ReplyPreview | None = None) -> None:
        """Show ``draft``'s conversation: its text, note mode and reply target."""
        self._loading = True
        try:
            self._conversation_id = draft.conversation_id
            self.edit.setPlainText(draft.text)
            self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
            self.note_button.setChecked(draft.is_note)
            self._clear_attachments()
            if reply_preview is not None:
                self.set_reply_to(reply_preview)
            elif draft.reply_to is not None:
                self._show_reply(draft.reply_to, self.tr("a message"), "")
            else:
                self.clear_reply()
        finally:
            self._loading = False
        self._refresh_mode()  # the pending files went with the previous conversation

    def detach(self) -> None:
        """Show no conversation (its draft stays in ``core.drafts``, nothing is saved from
        here until :meth:`set_draft`): the conversation went to another window."""
        self._loading = True
        try:
            self._conversation_id = None
            self.edit.clear()
            self._clear_attachments()
            self.clear_reply()
        finally:
            self._loading = False

    def draft(self) -> Draft | None:
        """The current draft, or ``None`` before any conversation was set."""
        if self._conversation_id is None:
            return None
        return Draft(
            self._conversation_id,
            self.edit.toPlainText(),
            self._reply_to,
            self.note_button.isChecked(),
        )

    def set_reply_to(self, message: ReplyPreview) -> None:
        """Reply to ``message`` (a ``ReplyPreview`` or a ``Message``: id, sender_name, body)."""
        self._show_reply(message.id, message.sender_name, message.body)
        self.edit.setFocus()
        self._emit_draft()

    def _show_reply(self, message_id: int, sender: str, body: str) -> None:
        self._reply_to = message_id
        self.reply_sender.setText(self.tr("Replying to %s") % sender)
        self.reply_text.setText(first_line(body, 200))
        self.reply_banner.show()

    def clear_reply(self) -> None:
        """Drop the reply target."""
        changed = self._reply_to is not None
        self._reply_to = None
        self.reply_banner.hide()
        if changed:
            self._emit_draft()

    def reply_to(self) -> int | None:
        return self._reply_to

    def set_can_reply(self, allowed: bool, reason: str = "") -> None:
        """Whether a message to the customer may be sent now, and why not."""
        self._can_reply, self._reply_reason = allowed, reason
        self._refresh_mode()

    def set_can_note(self, allowed: bool, reason: str = "") -> None:
        """Whether an internal note may be added now, and why not."""
        self._can_note, self._note_reason = allowed, reason
        self._refresh_mode()

    def set_canned(self, replies: Sequence[Canned]) -> None:
        """The quick replies on offer."""
        self.canned_model.set_canned(replies)

    def set_language(self, language: str) -> None:
        """The UI language: quick replies in it come first, emoji names in it first."""
        self._language = language
        self.canned_model.set_language(language)
        if self._emoji_picker is not None:
            self._emoji_picker.set_language(language)

    def set_placeholder_values(self, *, contact_name: str, agent_name: str) -> None:
        """What ``{contact_name}`` and ``{agent_name}`` become in quick replies."""
        self._values = {"contact_name": contact_name, "agent_name": agent_name}
        self.completer.set_values(self._values)

    def set_library_files(self, files: Sequence[FileInfo]) -> None:
        """The library offered by the attachments dialog (an open dialog follows at once)."""
        self._library = list(files)
        if self._attachments_dialog is not None:
            self._attachments_dialog.set_library_files(self._library)

    def set_thumbnails(self, thumbnails: ThumbnailCache) -> None:
        """Where the attachments dialog gets the library's thumbnails from."""
        self._thumbnails = thumbnails

    def is_note(self) -> bool:
        return self.note_button.isChecked()

    def set_note_mode(self, is_note: bool) -> None:
        self.note_button.setChecked(is_note)

    def attachments(self) -> list[PendingAttachment]:
        return list(self._attachments)

    # --- actions -------------------------------------------------------------------------------

    def send(self) -> None:
        """Emit ``sendRequested`` when there is something to send and it is allowed."""
        text = self.edit.toPlainText().strip()
        if not self._send_allowed() or not (text or self._attachments):
            return
        attachments = list(self._attachments)
        self.sendRequested.emit(text, self.is_note(), self._reply_to, attachments)
        self._loading = True
        try:
            self.edit.clear()
            self._clear_attachments()
            self._reply_to = None
            self.reply_banner.hide()
            # A note is a one-off: the next message goes to the customer unless asked again.
            self.note_button.setChecked(False)
        finally:
            self._loading = False
        self._refresh_mode()  # nothing left to send: the send button must say so
        self._emit_draft()

    def show_emoji_picker(self) -> EmojiPicker:
        """Open (or raise) the emoji popup above the emoji button."""
        if self._emoji_picker is None:
            from convos_desktop.ui.chat.emoji_picker import EmojiPicker

            self._emoji_picker = EmojiPicker(self._settings, self, self._emoji_catalog)
            self._emoji_picker.set_language(self._language)
            self._emoji_picker.setWindowFlag(Qt.WindowType.Tool)
            self._emoji_picker.emojiChosen.connect(self._insert_emoji)
        picker = self._emoji_picker
        anchor = self.emoji_button.mapToGlobal(self.emoji_button.rect().topLeft())
        picker.move(anchor.x(), max(0, anchor.y() - picker.height()))
        picker.show()
        picker.raise_()
        # Typing goes to the search, never into the message behind the popup.
        picker.activateWindow()
        picker.search_edit.setFocus(Qt.FocusReason.PopupFocusReason)
        picker.search_edit.selectAll()
        return picker

    def show_attachments_dialog(self) -> AttachmentsDialog:
        """Open the attachments dialog (non-blocking); chosen files become chips."""
        dialog = AttachmentsDialog(self._library, self, thumbnails=self._thumbnails)
        dialog.attachmentsChosen.connect(self.add_attachments)
        dialog.finished.connect(self._forget_attachments_dialog)
        dialog.finished.connect(dialog.deleteLater)
        self._attachments_dialog = dialog
        dialog.open()
        return dialog

    def _forget_attachments_dialog(self) -> None:
        self._attachments_dialog = None

    def add_attachments(self, attachments: Sequence[PendingAttachment]) -> None:
        """Add pending files (shown as chips until sent or removed)."""
        for attachment in attachments:
            self._attachments.append(attachment)
            chip = AttachmentChip(attachment, self)
            chip.removeRequested.connect(self._remove_chip)
            self.chips_row.insertWidget(self.chips_row.count() - 1, chip)
        self._refresh_mode()

    def _remove_chip(self, chip: AttachmentChip) -> None:
        self._attachments.remove(chip.attachment)
        chip.deleteLater()
        self._refresh_mode()

    def _clear_attachments(self) -> None:
        self._attachments.clear()
        for chip in self.findChildren(AttachmentChip):
            chip.deleteLater()

    def _insert_emoji(self, char: str) -> None:
        self.edit.textCursor().insertText(char)
        self.edit.setFocus()

    def _insert_reply(self, reply: Canned) -> None:
        insert_reply(self.edit, reply, self._values)
        self.edit.setFocus()

    # --- state ---------------------------------------------------------------------------------

    def _send_allowed(self) -> bool:
        return self._can_note if self.is_note() else self._can_reply

    def _on_note_toggled(self, checked: bool) -> None:
        self.mention_completer.enabled = checked
        self._refresh_mode()
        self._emit_draft()

    def _on_text_changed(self) -> None:
        self._refresh_mode()
        self._emit_draft()
        if not self._loading and self.edit.toPlainText().strip():
            self.typing.emit("note" if self.is_note() else "text")

    def set_colleagues(self, agents: Sequence[Agent], me_id: int | None) -> None:
        """The colleagues ``@name`` completes in note mode."""
        self.colleague_model.set_agents(agents, me_id)

    def _emit_draft(self) -> None:
        draft = self.draft()
        if draft is not None and not self._loading:
            self.draftChanged.emit(draft)

    def _refresh_mode(self) -> None:
        note = self.is_note()
        if note != self._styled_as_note:
            self._style_mode(note)
        reason = "" if self._send_allowed() else (self._note_reason if note else self._reply_reason)
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))
        has_content = bool(self.edit.toPlainText().strip() or self._attachments)
        self.send_button.setEnabled(self._send_allowed() and has_content)
        self.note_button.setEnabled(self._can_note or note)

    def _style_mode(self, note: bool) -> None:
        """Look like a message or like a note. Only when the mode changes: setting a style
        sheet re-polishes every child, too slow for each keystroke."""
        self._styled_as_note = note
        self.mode_label.setVisible(note)
        self.send_button.setText(self.tr("Add note") if note else self.tr("Send"))
        self.note_button.setToolTip(
            self.tr("Back to a message for the customer") if note else self.tr("Internal note")
        )
        self.edit.setPlaceholderText(
            self.tr("Write an internal note…") if note else self.tr("Write a message…")
        )
        self.setStyleSheet(NOTE_STYLE if note else "")  # a message: the app's look, no sheet
