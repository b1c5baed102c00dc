"""The thumbnail cache holds its images within a byte budget, least recently asked for out
first, and fetches a dropped one again when it is asked for."""

from __future__ import annotations

import io

from PIL import Image
from PySide6.QtWidgets import QApplication

from convos_desktop.core.types import FileInfo
from convos_desktop.ui.chat.thumbnails import THUMBNAIL_EDGE, ThumbnailCache

PHOTO_BYTES = THUMBNAIL_EDGE * THUMBNAIL_EDGE * 4  # one 480 px square thumbnail (32-bit)


def photo(file_id: int) -> FileInfo:
    return FileInfo(file_id, f"{file_id}.png", "image", "image/png", 1, "", 600, 600, False, "")


class PhotoServer:
    """Answers every file id with a 600 px square PNG; counts the fetches."""

    def __init__(self) -> None:
        buffer = io.BytesIO()
        Image.new("RGBA", (600, 600), (30, 120, 200, 255)).save(buffer, "PNG")
        self.png = buffer.getvalue()
        self.fetched: list[int] = []

    async def fetch(self, file_id: int) -> bytes:
        self.fetched.append(file_id)
        return self.png


async def load(cache: ThumbnailCache, file_id: int) -> None:
    cache.image(photo(file_id))
    await cache.wait_idle()


async def test_a_day_of_photos_stays_within_the_budget(qapp: QApplication) -> None:
    server = PhotoServer()
    cache = ThumbnailCache(server.fetch, budget_bytes=3 * PHOTO_BYTES)
    for file_id in range(1, 21):
        await load(cache, file_id)
    assert cache.cached_count == 3
    assert cache.held_bytes <= 3 * PHOTO_BYTES
    assert cache.image(photo(20)) is not None
    await cache.wait_idle()
    assert server.fetched == list(range(1, 21))  # held ones are not fetched again


async def test_the_least_recently_asked_for_goes_first_and_comes_back(qapp: QApplication) -> None:
    server = PhotoServer()
    cache = ThumbnailCache(server.fetch, budget_bytes=2 * PHOTO_BYTES)
    await load(cache, 1)
    await load(cache, 2)
    assert cache.image(photo(1)) is not None  # painted again: now the most recent
    await load(cache, 3)  # drops 2, not 1
    assert cache.image(photo(1)) is not None
    assert cache.image(photo(2)) is None  # asked for again: fetched again
    await cache.wait_idle()
    assert server.fetched == [1, 2, 3, 2]
    assert cache.image(photo(2)) is not None
    assert cache.held_bytes <= 2 * PHOTO_BYTES


async def test_an_image_larger_than_the_budget_is_still_shown(qapp: QApplication) -> None:
    server = PhotoServer()
    cache = ThumbnailCache(server.fetch, budget_bytes=1)
    await load(cache, 1)
    assert cache.image(photo(1)) is not None
    await load(cache, 2)
    assert cache.cached_count == 1
    assert cache.image(photo(2)) is not None


async def test_an_idle_window_keeps_only_the_thumbnails_it_shows(qapp: QApplication) -> None:
    server = PhotoServer()
    cache = ThumbnailCache(server.fetch, budget_bytes=4 * PHOTO_BYTES)
    for file_id in (1, 2, 3):
        await load(cache, file_id)
    cache.keep_only({2})
    assert cache.cached_count == 1
    assert cache.held_bytes == PHOTO_BYTES
    assert cache.image(photo(2)) is not None  # the open conversation's: no fetch
    assert cache.image(photo(1)) is None  # dropped: fetched again when painted
    await cache.wait_idle()
    assert server.fetched == [1, 2, 3, 1]
    assert cache.image(photo(1)) is not None
