"""Reading back what a ReportLab PDF says, without a PDF library: enough for the outcome document's tests.

Text drawn in an embedded TrueType subset is one byte per glyph, mapped back to Unicode through the font's
`/ToUnicode` CMap (as a PDF viewer does for search and copy); text in a CID font such as STSong-Light is
UCS-2 big-endian.
"""

from __future__ import annotations

import base64
import re
import zlib

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.DOTALL)
# The end of line before `endstream` is kept: stripping whitespace there would cut a compressed stream whose last
# byte happens to be one; the decompressor leaves what follows the data alone.
STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
TEXT = re.compile(rb"/([^\s/\[\]()<>]+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", re.DOTALL)


def objects(data: bytes) -> dict[int, bytes]:
    return {int(number): body for number, body in OBJECT.findall(data)}


def stream_of(body: bytes) -> bytes | None:
    found = STREAM.search(body)
    if found is None:
        return None
    stream = found.group(1)
    if stream.rstrip().endswith(b"~>"):  # ReportLab's ASCII85 over Flate
        stream = base64.a85decode(b"".join(stream.rstrip()[:-2].split()))
    try:
        return zlib.decompressobj().decompress(stream)
    except zlib.error:
        return stream


def _unescape(match) -> bytes:
    token = match.group(1)
    if token.isdigit():
        return bytes([int(token, 8)])
    return {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(token, token)


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.DOTALL):
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.DOTALL):
        for low, high, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(uni, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def font_maps(data: bytes) -> dict[bytes, dict[int, str]]:
    """Resource name (`F2+0`) → code → character, for every font with a `/ToUnicode` map."""
    objs = objects(data)
    maps: dict[bytes, dict[int, str]] = {}
    for body in objs.values():
        for name, number in re.findall(rb"/([^\s/\[\]()<>]+) (\d+) 0 R", body):
            font = objs.get(int(number), b"")
            if not re.search(rb"/Type /Font\b", font):
                continue
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
            if to_unicode:
                maps[name] = _cmap(stream_of(objs[int(to_unicode.group(1))]) or b"")
    return maps


def pdf_text(data: bytes) -> str:
    """The strings drawn on the pages, one per `Tj`, joined by new lines."""
    maps = font_maps(data)
    texts: list[str] = []
    for body in objects(data).values():
        if b"/Length" not in body or b"/FontFile" in body or b"/Length1" in body:
            continue
        content = stream_of(body)
        if not content or b"Tj" not in content:
            continue
        current: dict[int, str] | None = None
        for font, literal in TEXT.findall(content):
            if font:
                current = maps.get(font)
                continue
            raw = re.sub(rb"\\([0-7]{1,3}|.)", _unescape, literal)
            if current is not None:
                texts.append("".join(current.get(byte, "\ufffd") for byte in raw))
                continue
            try:
                texts.append(raw.decode("utf-16-be"))
            except UnicodeDecodeError:
                texts.append(raw.decode("latin-1"))
    return "\n".join(texts)


def embedded_fonts(data: bytes) -> list[str]:
    """Base font names of the fonts whose program is embedded (`/FontFile`, `/FontFile2` or `/FontFile3`)."""
    names = []
    for body in objects(data).values():
        if re.search(rb"/FontFile[23]? \d+ 0 R", body):
            found = re.search(rb"/FontName /([^\s/]+)", body)
            names.append(found.group(1).decode() if found else "?")
    return names
