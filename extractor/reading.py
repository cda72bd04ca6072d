"""Read a transcript from a file, uploaded bytes or stdin into text, refusing what isn't one."""

from __future__ import annotations

import codecs
import io
import logging
import sys
import zipfile
from pathlib import Path
from typing import IO

from extractor.errors import InputError

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".vtt", ".srt", ".log", ".csv", ""})
_EXPORT_HINT = "export the transcript as .txt, .vtt, .srt or .docx"
REFUSED = {
    ".pdf": "PDF files are not supported",
    ".doc": "old Word .doc files are not supported; re-save it as .docx or",
    ".rtf": "RTF files are not supported",
    ".odt": "OpenDocument files are not supported",
    ".pages": "Pages files are not supported",
    ".xlsx": "spreadsheets are not supported",
    ".xls": "spreadsheets are not supported",
    ".pptx": "slide decks are not supported",
    ".zip": "archives are not supported; unzip it and upload the transcript itself, or",
    ".gz": "archives are not supported; unpack it first, or",
    **dict.fromkeys(
        (".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".bmp", ".tiff"), "images are not supported"
    ),
    **dict.fromkeys(
        (".mp3", ".m4a", ".wav", ".ogg", ".flac", ".mp4", ".mov", ".webm", ".mkv"),
        "audio and video are not supported; transcribe it first (Zoom, Teams and Otter can) and",
    ),
}
# Content sniffing for uploads with no or misleading names.
_MAGIC = (
    (b"%PDF-", ".pdf"),
    (b"\x89PNG", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF8", ".gif"),
    (b"\xd0\xcf\x11\xe0", ".doc"),
    (b"{\\rtf", ".rtf"),
    (b"ID3", ".mp3"),
    (b"\x1f\x8b", ".gz"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _refuse(name: str, suffix: str) -> InputError:
    reason = REFUSED[suffix]
    joiner = " " if reason.endswith((" or", " and")) else "; "
    return InputError(f"{name}: {reason}{joiner}{_EXPORT_HINT}")


def _too_big(name: str, size: int, max_bytes: int) -> InputError:
    return InputError(
        f"{name} is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes / 1024 / 1024:.0f} MB, "
        "so split the transcript or trim it"
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(data) - 4  # a character cut off by the sample's end is fine
    return True


def _text_like(text: str) -> bool:
    """False when control characters (other than tab/newline) make up over 1% of the text."""
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls <= len(text) / 100


def decode(data: bytes, name: str) -> str:
    """Text from bytes: a BOM's encoding, else UTF-8, else Windows-1252 when it reads as text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name}: the file says it is {encoding} but is not; re-save it as UTF-8"
                ) from exc
    if b"\x00" in data:
        raise InputError(f"{name}: this looks like a binary file, not a transcript; {_EXPORT_HINT}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Windows "ANSI" exports (Notepad, older Word "Save as text") are cp1252.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and _text_like(text):
        logger.debug("%s: not UTF-8, read as cp1252", name)
        return text
    raise InputError(f"{name}: could not read it as text (not UTF-8 or Windows-1252); save it as UTF-8 text")


def docx_text(data: bytes, name: str) -> str:
    """The paragraphs and table rows of a Word document, in document order."""
    import docx  # python-docx: https://python-docx.readthedocs.io/en/latest/api/document.html
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(
            f"{name}: could not open it as a Word document; re-save it as .docx or {_EXPORT_HINT}"
        ) from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:  # merged cells repeat; keep each once
                    text = cell.text.strip()
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                lines.append(" | ".join(cells))
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _read_source(
    source: str | Path | bytes, filename: str | None, max_bytes: int, stdin: IO[bytes] | IO[str] | None
) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        if len(source) > max_bytes:
            raise _too_big(filename or "the upload", len(source), max_bytes)
        return bytes(source), filename or "the upload"
    if str(source) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(max_bytes + 1)
        data = data.encode("utf-8") if isinstance(data, str) else data
        if len(data) > max_bytes:
            raise _too_big(filename or "stdin", len(data), max_bytes)
        return data, filename or "stdin"
    path = Path(source)
    name = filename or path.name
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; pass the transcript file itself")
    size = path.stat().st_size
    if size > max_bytes:
        raise _too_big(name, size, max_bytes)
    return path.read_bytes(), name


def read_input(
    source: str | Path | bytes,
    filename: str | None = None,
    max_bytes: int = MAX_BYTES,
    stdin: IO[bytes] | IO[str] | None = None,
) -> str:
    """Transcript text from a path, raw upload bytes, or "-" (stdin; `stdin` overrides the stream).

    Raises InputError with a one-line fix for empty, oversized, binary and unsupported inputs."""
    data, name = _read_source(source, filename, max_bytes, stdin)
    suffix = Path(name).suffix.lower()
    if suffix in REFUSED:
        raise _refuse(name, suffix)
    sniffed = next((ext for magic, ext in _MAGIC if data.startswith(magic)), None)
    # A text transcript may start with "ID3" or "GIF8" by chance; a real one of those is binary.
    if sniffed and (sniffed == ".rtf" or b"\x00" in data[:65536] or not _is_utf8(data[:65536])):
        raise _refuse(name, sniffed)
    if suffix == ".docx" or (data.startswith(b"PK\x03\x04") and suffix not in TEXT_SUFFIXES - {""}):
        text = docx_text(data, name)
    else:
        if suffix not in TEXT_SUFFIXES:
            logger.debug("%s: unfamiliar extension %r; reading it as text", name, suffix)
        text = decode(data, name)
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(
            f"{name} is empty" if not text else f"{name} contains only whitespace; nothing to read"
        )
    if len(text.encode("utf-8")) > max_bytes:
        raise _too_big(name, len(text.encode("utf-8")), max_bytes)
    return text
