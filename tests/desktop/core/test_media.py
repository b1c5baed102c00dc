"""Media helpers: each sticker rule and file kinds, with real Pillow images."""

import io
import random

from PIL import Image

from convos_desktop.core.media import (
    FileKind,
    StickerRule,
    check_sticker,
    check_sticker_async,
    detect_kind,
)


def png(size=(512, 512), mode="RGBA", transparent=True, noise=False) -> bytes:
    image = Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))
    if noise:  # incompressible pixels
        pixels = random.Random(1).randbytes(size[0] * size[1] * len(mode))
        image = Image.frombytes(mode, size, pixels)
    if mode == "RGBA" and transparent:
        image.putpixel((0, 0), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_valid_sticker_passes():
    result = check_sticker(png())
    assert result.ok
    assert result.rule is None


def test_rule_dimensions():
    assert check_sticker(png(size=(512, 500))).rule is StickerRule.DIMENSIONS


def test_rule_transparency_without_alpha():
    assert check_sticker(png(mode="RGB")).rule is StickerRule.TRANSPARENCY


def test_rule_transparency_with_an_opaque_alpha_channel():
    assert check_sticker(png(transparent=False)).rule is StickerRule.TRANSPARENCY


def test_rule_weight():
    heavy = png(noise=True)
    assert len(heavy) >= 102_400
    image = Image.open(io.BytesIO(heavy))
    assert image.getchannel("A").getextrema()[0] == 0  # only the weight is wrong
    assert check_sticker(heavy).rule is StickerRule.WEIGHT


def test_rule_format_for_jpeg_and_garbage():
    out = io.BytesIO()
    Image.new("RGB", (512, 512)).save(out, format="JPEG")
    assert check_sticker(out.getvalue()).rule is StickerRule.FORMAT
    assert check_sticker(b"not an image").rule is StickerRule.FORMAT


async def test_async_check_runs_in_an_executor():
    assert (await check_sticker_async(png())).ok


def test_detect_kind(tmp_path):
    cases = {
        "sticker.png": (png(), FileKind.STICKER),
        "photo.png": (png(size=(300, 200), mode="RGB"), FileKind.IMAGE),
        "voice.ogg": (b"OggS" + bytes(100), FileKind.AUDIO),
        "clip.mp4": (bytes(100), FileKind.VIDEO),
        "invoice.pdf": (b"%PDF-1.4\n", FileKind.DOCUMENT),
    }
    for name, (data, kind) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert detect_kind(path) is kind, name
