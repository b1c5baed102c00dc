"""Where the emoji are in a message text, in the UTF-16 positions Qt's text layouts count.

The chat bubbles draw emoji a little larger than the letters around them (colour emoji fonts
otherwise come out smaller than the text) and a message of one to three emoji alone large, as
chat apps do. A regular expression over the emoji blocks is enough for that and costs nothing at
paint time (the ``emoji`` package takes 6.6 MiB and is loaded only by the picker).
"""

from __future__ import annotations

import re

# One emoji: a flag (two regional indicators), a keycap, or a pictograph with its variation
# selector, skin tone and zero-width-joined parts.
_PICTOGRAPH = (
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
    "\u2190-\u21ff\u3030\u303d\u3297\u3299\u203c\u2049\u2122\u2139\u00a9\u00ae]"
)
_MODIFIERS = "[\ufe0f\U0001f3fb-\U0001f3ff\u20e3]*"
EMOJI_PATTERN = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"
    "|[0-9#*]\ufe0f?\u20e3"
    f"|{_PICTOGRAPH}{_MODIFIERS}(?:\u200d{_PICTOGRAPH}{_MODIFIERS})*"
)
# Text symbols in those blocks that are not emoji unless followed by U+FE0F.
_TEXT_BY_DEFAULT = frozenset("©®™ℹ↔↕↖↗↘↙↩↪⌨⏏")
BIG_EMOJI_MAX = 3  # a message of up to this many emoji alone is drawn large


def utf16_length(text: str) -> int:
    """How many UTF-16 code units ``text`` takes (what Qt counts positions in)."""
    return len(text.encode("utf-16-le")) // 2


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """``(start, length)`` of every emoji of ``text``, in UTF-16 code units."""
    spans: list[tuple[int, int]] = []
    position, consumed = 0, 0
    for match in EMOJI_PATTERN.finditer(text):
        found = match.group(0)
        if found in _TEXT_BY_DEFAULT:
            continue
        position += utf16_length(text[consumed : match.start()])
        length = utf16_length(found)
        spans.append((position, length))
        position += length
        consumed = match.end()
    return spans


def emoji_only_count(text: str) -> int:
    """How many emoji ``text`` holds when it holds nothing else but spaces (0 otherwise)."""
    stripped = "".join(text.split())
    if not stripped:
        return 0
    matches = [m.group(0) for m in EMOJI_PATTERN.finditer(stripped)]
    if "".join(matches) != stripped or any(m in _TEXT_BY_DEFAULT for m in matches):
        return 0
    return len(matches)


def to_utf16(text: str, index: int) -> int:
    """The UTF-16 position of the Python string index ``index`` of ``text``."""
    return utf16_length(text[:index])
