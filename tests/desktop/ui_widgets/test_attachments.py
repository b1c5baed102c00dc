"""The attachments dialog: kinds, sticker rules named off the GUI thread, size limit, library."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from convos_desktop.core.media import FileKind
from convos_desktop.core.types import FileInfo
from convos_desktop.ui.chat.attachments import (
    MAX_UPLOAD_BYTES,
    AttachmentsDialog,
    FileListModel,
    LocalFile,
    LocalFilesModel,
)
from convos_desktop.ui.formatting import format_size

LIBRARY = [
    FileInfo(
        1,
        "Listino prezzi 2026.pdf",
        "document",
        "application/pdf",
        183_000,
        "",
        None,
        None,
        True,
        "/api/v1/files/1",
    ),
    FileInfo(
        2, "Benvenuto.png", "image", "image/png", 52_000, "", 800, 600, True, "/api/v1/files/2"
    ),
    FileInfo(
        3, "Jingle.mp3", "audio", "audio/mpeg", 1_200_000, "", None, None, True, "/api/v1/files/3"
    ),
]


def make_png(path, size=(512, 512), transparent=True, noise=False):
    image = Image.new("RGBA", size, (255, 0, 0, 255))
    if transparent:
        image.putpixel((0, 0), (0, 0, 0, 0))
    if noise:
        image = Image.frombytes("RGBA", size, os.urandom(size[0] * size[1] * 4))
        image.putpixel((0, 0), (0, 0, 0, 0))
    image.save(path)
    return path


@pytest.fixture
def dialog(qtbot):
    dialog = AttachmentsDialog(LIBRARY)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def inspected(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.is_checking(), timeout=5000)


def test_valid_sticker_passes_and_is_emitted_as_sticker(qtbot, dialog, tmp_path):
    png = make_png(tmp_path / "ok.png")
    dialog.sticker_check.setChecked(True)
    dialog.add_local_files([png])
    inspected(qtbot, dialog)
    assert dialog.problems() == []
    assert dialog.attach_button.isEnabled()
    with qtbot.waitSignal(dialog.attachmentsChosen) as chosen:
        dialog.attach_button.click()
    [attachment] = chosen.args[0]
    assert attachment.kind is FileKind.STICKER
    assert attachment.path == png


@pytest.mark.parametrize(
    ("kwargs", "rule_words"),
    [
        ({"size": (600, 400)}, "512x512"),
        ({"transparent": False}, "transparent background"),
        ({"noise": True}, "under 100 KB"),
    ],
)
def test_each_broken_sticker_rule_is_named(qtbot, dialog, tmp_path, kwargs, rule_words):
    png = make_png(tmp_path / "bad.png", **kwargs)
    dialog.add_local_files([png])
    inspected(qtbot, dialog)
    assert dialog.problems() == []  # fine as a plain image
    dialog.sticker_check.setChecked(True)
    [problem] = dialog.problems()
    assert problem.startswith("bad.png: Not a sticker")
    assert rule_words in problem
    assert rule_words in dialog.error_label.text()
    assert not dialog.attach_button.isEnabled()
    dialog.sticker_check.setChecked(False)
    with qtbot.waitSignal(dialog.attachmentsChosen) as chosen:
        dialog.attach_button.click()
    assert chosen.args[0][0].kind is FileKind.IMAGE


def test_oversize_file_refused_with_a_clear_message(qtbot, dialog, tmp_path):
    big = tmp_path / "video.mp4"
    with big.open("wb") as f:
        f.truncate(MAX_UPLOAD_BYTES + 1)
    small = tmp_path / "notes.txt"
    small.write_text("ciao")
    dialog.add_local_files([big, small])
    inspected(qtbot, dialog)
    [problem] = dialog.problems()
    assert problem.startswith("video.mp4: Too large")
    assert format_size(MAX_UPLOAD_BYTES) in problem
    assert dialog.error_label.isVisibleTo(dialog)
    with qtbot.waitSignal(dialog.attachmentsChosen) as chosen:
        dialog.attach_button.click()
    assert [a.name for a in chosen.args[0]] == ["notes.txt"]


def test_remove_drops_a_local_file(qtbot, dialog, tmp_path):
    big = tmp_path / "video.mp4"
    with big.open("wb") as f:
        f.truncate(MAX_UPLOAD_BYTES + 1)
    dialog.add_local_files([big])
    assert not dialog.attach_button.isEnabled()
    dialog.local_view.setCurrentIndex(dialog.local_model.index(0))
    dialog.remove_button.click()
    assert dialog.local_model.rowCount() == 0
    assert dialog.problems() == []
    assert not dialog.error_label.isVisibleTo(dialog)


def test_kinds_detected_for_local_files(qtbot, dialog, tmp_path):
    doc = tmp_path / "contratto.pdf"
    doc.write_bytes(b"%PDF-1.4 not really")
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3")
    photo = make_png(tmp_path / "photo.png", size=(64, 64), transparent=False)
    dialog.add_local_files([doc, song, photo])
    inspected(qtbot, dialog)
    kinds = {a.name: a.kind for a in dialog.chosen()}
    assert kinds == {
        "contratto.pdf": FileKind.DOCUMENT,
        "song.mp3": FileKind.AUDIO,
        "photo.png": FileKind.IMAGE,
    }


def test_library_selection_emits_file_ids(qtbot, dialog):
    dialog.tabs.setCurrentIndex(1)
    assert not dialog.attach_button.isEnabled()
    view = dialog.library_view
    view.selectionModel().select(
        view.model().index(2, 0), view.selectionModel().SelectionFlag.Select
    )
    view.selectionModel().select(
        view.model().index(0, 0), view.selectionModel().SelectionFlag.Select
    )
    assert dialog.attach_button.isEnabled()
    with qtbot.waitSignal(dialog.attachmentsChosen) as chosen:
        dialog.attach_button.click()
    assert [(a.file_id, a.kind) for a in chosen.args[0]] == [
        (1, FileKind.DOCUMENT),
        (3, FileKind.AUDIO),
    ]


def test_models_pass_the_model_tester(qtmodeltester, tmp_path):
    files = FileListModel()
    files.set_files(LIBRARY)
    qtmodeltester.check(files)
    local = LocalFilesModel()
    local.add(LocalFile(tmp_path / "a.txt", 3, kind=FileKind.DOCUMENT))
    local.add(LocalFile(tmp_path / "b.png", 3, error="Too large"))
    qtmodeltester.check(local)


def test_screenshot(qtbot, dialog, tmp_path, shoot):
    dialog.add_local_files(
        [make_png(tmp_path / "logo-with-a-rather-long-file-name-2026.png", size=(600, 400))]
    )
    big = tmp_path / "presentazione.mov"
    with big.open("wb") as f:
        f.truncate(MAX_UPLOAD_BYTES * 2)
    dialog.add_local_files([big])
    inspected(qtbot, dialog)
    dialog.sticker_check.setChecked(True)
    shoot(dialog, "attachments_local")
    dialog.tabs.setCurrentIndex(1)
    shoot(dialog, "attachments_library")
