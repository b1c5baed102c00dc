"""The attachments dialog: files from the computer or from the library of pre-uploaded files.

Embedded by the main window through the composer's attach button. Local files are inspected
off the GUI thread (``core.media``: kind, sticker rules) on a ``QThreadPool``; a file over the
upload limit is refused at once, and an image that breaks a sticker rule names the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.media import (
    FileKind,
    StickerCheck,
    StickerRule,
    check_sticker,
    detect_kind,
)
from convos_desktop.core.types import FileInfo
from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.chat.thumbnails import ThumbnailCache
from convos_desktop.ui.formatting import format_size

log = logging.getLogger("convos.ui.attachments")

ModelIndex = QModelIndex | QPersistentModelIndex

MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # the server's default CONVOS_MAX_UPLOAD
THUMB_ICON_EDGE = 48
_KIND_GLYPHS = {
    FileKind.DOCUMENT: "📄",
    FileKind.AUDIO: "🎵",
    FileKind.VIDEO: "🎬",
    FileKind.IMAGE: "🖼️",
    FileKind.STICKER: "🌟",
}


@dataclass(frozen=True, slots=True)
class PendingAttachment:
    """A file chosen for the next message: a local ``path`` to upload or a library ``file_id``."""

    name: str
    kind: FileKind
    size: int
    path: Path | None = None
    file_id: int | None = None


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A local file in the dialog, with what the background inspection found."""

    path: Path
    size: int
    kind: FileKind | None = None  # None while the inspection runs
    sticker: StickerCheck | None = None  # for images: the sticker rules' verdict
    error: str = ""  # why the file cannot be attached at all

    @property
    def is_image(self) -> bool:
        return self.kind in (FileKind.IMAGE, FileKind.STICKER)


def inspect_local_file(path: Path) -> tuple[FileKind, StickerCheck | None]:
    """The kind of a local file and, for images, the sticker verdict (blocking)."""
    kind = detect_kind(path)
    if kind is FileKind.STICKER:
        return kind, StickerCheck(None, "")
    if kind is FileKind.IMAGE:
        return kind, check_sticker(path.read_bytes())
    return kind, None


def kind_icon(kind: str) -> QIcon:
    """A small icon for a file kind, drawn from an emoji glyph."""
    try:
        glyph = _KIND_GLYPHS[FileKind(kind)]
    except ValueError:
        glyph = _KIND_GLYPHS[FileKind.DOCUMENT]
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    font = QFont()
    font.setPixelSize(24)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, glyph)
    painter.end()
    return QIcon(pixmap)


class _IconCache:
    """Kind icons drawn once per model."""

    def __init__(self) -> None:
        self._icons: dict[str, QIcon] = {}

    def get(self, kind: str) -> QIcon:
        if kind not in self._icons:
            self._icons[kind] = kind_icon(kind)
        return self._icons[kind]


class FileListModel(RecordListModel[FileInfo]):
    """A list of uploaded files (``FileInfo``): name, kind icon (or a thumbnail), size.

    With ``thumbnails`` images and stickers show a thumbnail once the cache has one (fetched
    and scaled off the GUI thread); the row repaints when it arrives.
    """

    FILE_ROLE = RecordListModel.RECORD_ROLE
    KIND_ROLE = RecordListModel.RECORD_ROLE + 1
    SEARCH_ROLE = RecordListModel.RECORD_ROLE + 2

    def __init__(
        self, parent: QObject | None = None, thumbnails: ThumbnailCache | None = None
    ) -> None:
        super().__init__(parent)
        self._icons = _IconCache()
        self._thumbnails = thumbnails
        self._thumb_icons: dict[int, QIcon] = {}
        if thumbnails is not None:
            thumbnails.ready.connect(self._on_thumbnail)

    def set_files(self, files: Sequence[FileInfo]) -> None:
        """Replace the list."""
        self.set_records(files)

    def file_at(self, row: int) -> FileInfo:
        return self.record_at(row)

    def _on_thumbnail(self, file_id: int) -> None:
        for row, record in enumerate(self._records):
            if record.id == file_id:
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _decoration(self, record: FileInfo) -> QIcon:
        icon = self._thumb_icons.get(record.id)
        if icon is not None:
            return icon
        if self._thumbnails is not None and record.kind in (FileKind.IMAGE, FileKind.STICKER):
            image = self._thumbnails.image(record)
            if image is not None:
                pixmap = QPixmap.fromImage(image).scaled(
                    QSize(THUMB_ICON_EDGE, THUMB_ICON_EDGE),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                icon = self._thumb_icons[record.id] = QIcon(pixmap)
                return icon
        return self._icons.get(record.kind)

    def record_data(self, record: FileInfo, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{record.name}  ·  {format_size(record.size)}"
        if role == self.KIND_ROLE:
            return record.kind
        if role == self.SEARCH_ROLE:
            return record.name.casefold()
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{record.name}\n{record.mime}"
        return None


class FileFilterModel(QSortFilterProxyModel):
    """Files whose name holds the search text (any case) and, when set, of one kind."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._kind = ""

    def set_text(self, text: str) -> None:
        self._text = text.strip().casefold()
        self.invalidate()

    def set_kind(self, kind: str) -> None:
        """Only files of ``kind`` (``""``: every kind)."""
        self._kind = kind
        self.invalidate()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        index = self.sourceModel().index(source_row, 0, source_parent)
        if self._kind and index.data(FileListModel.KIND_ROLE) != self._kind:
            return False
        return self._text in str(index.data(FileListModel.SEARCH_ROLE) or "")


def kind_names() -> list[tuple[str, str]]:
    """``(kind, translated name)`` for the kind filter, "every kind" first."""
    tr = QCoreApplication.translate
    return [
        ("", tr("LibraryBrowser", "All kinds")),
        (FileKind.IMAGE.value, tr("LibraryBrowser", "Images")),
        (FileKind.STICKER.value, tr("LibraryBrowser", "Stickers")),
        (FileKind.DOCUMENT.value, tr("LibraryBrowser", "Documents")),
        (FileKind.AUDIO.value, tr("LibraryBrowser", "Audio")),
        (FileKind.VIDEO.value, tr("LibraryBrowser", "Video")),
    ]


class LibraryBrowser(QWidget):
    """The file library as a list with a search field and a kind filter (no editing)."""

    def __init__(
        self,
        files: Sequence[FileInfo] = (),
        parent: QWidget | None = None,
        thumbnails: ThumbnailCache | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = FileListModel(self, thumbnails)
        self.proxy = FileFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setObjectName("librarySearch")
        self.search.setPlaceholderText(self.tr("Search the library by name"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.kind_filter = QComboBox(self)
        for kind, name in kind_names():
            self.kind_filter.addItem(name, kind)
        self.kind_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_kind(str(self.kind_filter.currentData()))
        )
        self.view = QListView(self)
        self.view.setModel(self.proxy)
        self.view.setUniformItemSizes(True)
        self.view.setIconSize(QSize(THUMB_ICON_EDGE, THUMB_ICON_EDGE))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.empty_label = QLabel(self.tr("The library is empty."), self)
        self.empty_label.setStyleSheet("color: #6b7785;")
        for signal in (self.model.modelReset, self.proxy.layoutChanged):
            signal.connect(self._refresh_empty)
        self.proxy.rowsInserted.connect(self._refresh_empty)
        self.proxy.rowsRemoved.connect(self._refresh_empty)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.kind_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty_label)
        self.set_files(files)

    def set_files(self, files: Sequence[FileInfo]) -> None:
        """Replace the list (selection by file id survives)."""
        chosen = {f.id for f in self.selected_files()}
        self.model.set_files(files)
        selection = self.view.selectionModel()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if self.model.file_at(self.proxy.mapToSource(index).row()).id in chosen:
                selection.select(index, selection.SelectionFlag.Select)
        self._refresh_empty()

    def selected_files(self) -> list[FileInfo]:
        """The selected files, in list order."""
        rows = sorted(self.proxy.mapToSource(i).row() for i in self.view.selectedIndexes())
        return [self.model.file_at(row) for row in rows]

    def _refresh_empty(self, *_: object) -> None:
        if self.model.rowCount() == 0:
            self.empty_label.setText(self.tr("The library is empty."))
        else:
            self.empty_label.setText(self.tr("No library file matches the search."))
        self.empty_label.setVisible(self.proxy.rowCount() == 0)


class LocalFilesModel(RecordListModel[LocalFile]):
    """The local files picked in the dialog, with their inspection state and problems."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icons = _IconCache()
        self._as_sticker = False

    def files(self) -> list[LocalFile]:
        return self.records()

    def add(self, file: LocalFile) -> None:
        row = len(self._records)
        self.beginInsertRows(QModelIndex(), row, row)
        self._records.append(file)
        self.endInsertRows()

    def update(self, path: Path, **changes: Any) -> None:
        """Record what the inspection found for ``path``."""
        for row, file in enumerate(self._records):
            if file.path == path:
                self._records[row] = replace(file, **changes)
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def set_as_sticker(self, as_sticker: bool) -> None:
        """Show images' sticker verdicts (the "send as sticker" option)."""
        self._as_sticker = as_sticker
        if self._records:
            self.dataChanged.emit(self.index(0), self.index(len(self._records) - 1))

    def remove_rows(self, rows: Sequence[int]) -> None:
        """Drop the files at ``rows``."""
        for row in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._records[row]
            self.endRemoveRows()

    def problem(self, file: LocalFile) -> str:
        """Why ``file`` cannot be sent as chosen, or ``""``."""
        if file.error:
            return file.error
        if self._as_sticker and file.is_image and file.sticker is not None:
            return sticker_problem(file.sticker)
        return ""

    def record_data(self, record: LocalFile, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._line(record)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(record.kind or FileKind.DOCUMENT)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(record.path)
        if role == Qt.ItemDataRole.ForegroundRole and self.problem(record):
            return Qt.GlobalColor.darkRed
        return None

    def _line(self, file: LocalFile) -> str:
        line = f"{file.path.name}  ·  {format_size(file.size)}"
        if file.kind is None and not file.error:
            return line + "  ·  " + self.tr("checking…")
        problem = self.problem(file)
        return f"{line}  ·  {problem}" if problem else line


def sticker_problem(check: StickerCheck) -> str:
    """The translated sentence naming the sticker rule ``check`` failed ("" when none)."""
    texts = {
        StickerRule.FORMAT: "Not a sticker: it must be a PNG or WebP image",
        StickerRule.DIMENSIONS: "Not a sticker: it must be exactly 512x512 pixels",
        StickerRule.TRANSPARENCY: "Not a sticker: it needs a transparent background",
        StickerRule.WEIGHT: "Not a sticker: it must weigh under 100 KB",
    }
    if check.rule is None:
        return ""
    return QCoreApplication.translate("AttachmentsDialog", texts[check.rule])


class _InspectionBridge(QObject):
    """Carries inspection results from pool threads back to the GUI thread (queued)."""

    inspected = Signal(object, object, object)  # path, kind, sticker check
    failed = Signal(object, str)  # path, error


class AttachmentsDialog(QDialog):
    """Pick files from the computer (kinds detected, stickers checked) or from the library.

    Emits ``attachmentsChosen(list[PendingAttachment])`` when the agent presses Attach.
    """

    attachmentsChosen = Signal(list)  # noqa: N815 (Qt signal naming)

    def __init__(
        self,
        library_files: Sequence[FileInfo] = (),
        parent: QWidget | None = None,
        thread_pool: QThreadPool | None = None,
        thumbnails: ThumbnailCache | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Attachments"))
        self._thumbnails = thumbnails
        self._pool = thread_pool or QThreadPool.globalInstance()
        self._bridge = _InspectionBridge(self)
        self._bridge.inspected.connect(self._on_inspected)
        self._bridge.failed.connect(self._on_failed)

        self.local_model = LocalFilesModel(self)
        self.local_model.dataChanged.connect(self._refresh_state)
        self.local_model.rowsInserted.connect(self._refresh_state)
        self.library = LibraryBrowser(library_files, self, thumbnails)
        self.library_model = self.library.model

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_local_tab(), self.tr("From computer"))
        self.tabs.addTab(self._build_library_tab(), self.tr("Library"))
        self.tabs.currentChanged.connect(self._refresh_state)

        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #a11;")
        self.error_label.hide()

        self.buttons = QDialogButtonBox(self)
        self.attach_button = self.buttons.addButton(
            self.tr("Attach"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_attach)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(520, 380)
        self._refresh_state()

    def _build_local_tab(self) -> QWidget:
        page = QWidget(self)
        self.choose_button = QPushButton(self.tr("Choose files…"), page)
        self.choose_button.clicked.connect(self._open_file_dialog)
        self.sticker_check = QCheckBox(self.tr("Send images as stickers"), page)
        self.sticker_check.setToolTip(
            self.tr(
                "A sticker must be exactly 512x512 pixels, have a transparent background "
                "and weigh under 100 KB"
            )
        )
        self.sticker_check.toggled.connect(self.local_model.set_as_sticker)
        self.remove_button = QPushButton(self.tr("Remove"), page)
        self.remove_button.clicked.connect(self._remove_selected)
        self.local_view = QListView(page)
        self.local_view.setModel(self.local_model)
        self.local_view.setUniformItemSizes(True)
        self.local_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.local_view.selectionModel().selectionChanged.connect(self._refresh_state)
        row = QHBoxLayout()
        row.addWidget(self.choose_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        row.addWidget(self.sticker_check)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.local_view)
        return page

    def _build_library_tab(self) -> QWidget:
        self.library_view = self.library.view
        self.library_view.selectionModel().selectionChanged.connect(self._refresh_state)
        self.library_view.doubleClicked.connect(self._on_attach)
        return self.library

    def set_library_files(self, files: Sequence[FileInfo]) -> None:
        """Replace the library list (it is live: the composer passes every change on)."""
        self.library.set_files(files)
        self._refresh_state()

    def _open_file_dialog(self) -> None:
        dialog = QFileDialog(self, self.tr("Attach files"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.filesSelected.connect(lambda paths: self.add_local_files(Path(p) for p in paths))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def add_local_files(self, paths: Any) -> None:
        """Add local files: too large ones are refused at once, the rest inspected off-thread."""
        known = {f.path for f in self.local_model.files()}
        for path in paths:
            path = Path(path)
            if path in known:
                continue
            known.add(path)
            try:
                size = path.stat().st_size
            except OSError as exc:
                self.local_model.add(LocalFile(path, 0, error=self.tr("Cannot read: %s") % exc))
                continue
            if size > MAX_UPLOAD_BYTES:
                limit = format_size(MAX_UPLOAD_BYTES)
                error = self.tr("Too large: files can be at most %s") % limit
                self.local_model.add(LocalFile(path, size, error=error))
                continue
            self.local_model.add(LocalFile(path, size))
            self._pool.start(lambda p=path: self._inspect(p))

    def _remove_selected(self) -> None:
        self.local_model.remove_rows(
            [i.row() for i in self.local_view.selectionModel().selectedRows()]
        )
        self._refresh_state()

    def _inspect(self, path: Path) -> None:
        """Runs on a pool thread."""
        try:
            kind, sticker = inspect_local_file(path)
        except OSError as exc:
            self._emit_safely(self._bridge.failed, path, str(exc))
            return
        self._emit_safely(self._bridge.inspected, path, kind, sticker)

    @staticmethod
    def _emit_safely(signal: Any, *args: object) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the dialog was closed and deleted meanwhile
            log.debug("inspection result dropped: dialog gone")

    def _on_inspected(self, path: Path, kind: FileKind, sticker: StickerCheck | None) -> None:
        self.local_model.update(path, kind=kind, sticker=sticker)

    def _on_failed(self, path: Path, error: str) -> None:
        self.local_model.update(path, error=self.tr("Cannot read: %s") % error)

    def is_checking(self) -> bool:
        """Whether some local file is still being inspected."""
        return any(f.kind is None and not f.error for f in self.local_model.files())

    def problems(self) -> list[str]:
        """One line per local file that cannot be attached as chosen (refused files too)."""
        return [
            f"{f.path.name}: {problem}"
            for f in self.local_model.files()
            if (problem := self.local_model.problem(f))
        ]

    def _refresh_state(self, *_: object) -> None:
        problems = self.problems()
        self.error_label.setText("\n".join(problems))
        self.error_label.setVisible(bool(problems))
        self.remove_button.setEnabled(self.local_view.selectionModel().hasSelection())
        self.attach_button.setEnabled(
            not self.is_checking() and not self._blocking() and bool(self.chosen())
        )

    def _blocking(self) -> bool:
        """Whether an image breaks the sticker rules while "send as sticker" is on.

        Refused files (too large, unreadable) do not block: they are listed and left out.
        """
        return any(not f.error and self.local_model.problem(f) for f in self.local_model.files())

    def chosen(self) -> list[PendingAttachment]:
        """The attachments Attach would emit: inspected local files and selected library files."""
        as_sticker = self.sticker_check.isChecked()
        chosen = [
            PendingAttachment(
                name=f.path.name,
                kind=FileKind.STICKER if as_sticker and f.is_image else _plain_kind(f.kind),
                size=f.size,
                path=f.path,
            )
            for f in self.local_model.files()
            if f.kind is not None and not f.error
        ]
        for info in self.library.selected_files():
            chosen.append(PendingAttachment(info.name, _kind_of(info), info.size, file_id=info.id))
        return chosen

    def _on_attach(self, *_: object) -> None:
        if self.is_checking() or self._blocking():
            return
        chosen = self.chosen()
        if chosen:
            self.attachmentsChosen.emit(chosen)
            self.accept()


def _plain_kind(kind: FileKind | None) -> FileKind:
    """A sticker-shaped image is sent as an image unless "send as sticker" is on."""
    if kind is None or kind is FileKind.STICKER:
        return FileKind.IMAGE
    return kind


def _kind_of(info: FileInfo) -> FileKind:
    try:
        return FileKind(info.kind)
    except ValueError:
        return FileKind.DOCUMENT
