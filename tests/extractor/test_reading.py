"""read_input: files, uploads and stdin into text; clear one-line errors for everything else."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from extractor.errors import InputError
from extractor.reading import MAX_BYTES, read_input
from extractor.turns import normalize_transcript

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
SAMPLE = "Ann: I'll send the deck by Friday – promise.\nBo: Thanks, café at 3?\n"


def refused(source, match: str, **kwargs) -> str:
    with pytest.raises(InputError, match=match) as info:
        read_input(source, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_reads_every_fixture_file(name):
    path = FIXTURES / name
    assert read_input(path) == path.read_text(encoding="utf-8")
    assert read_input(str(path)) == read_input(path.read_bytes(), filename=name)


@pytest.mark.parametrize(
    "encoded",
    [
        SAMPLE.encode("utf-8"),
        b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"),  # utf-8-sig
        SAMPLE.encode("utf-16"),  # with BOM, as Windows tools write it
        SAMPLE.encode("utf-16-be").join([b"\xfe\xff", b""]),
        SAMPLE.encode("utf-32"),
        SAMPLE.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-be", "utf32", "crlf"],
)
def test_decodes_text_encodings(tmp_path, encoded):
    path = tmp_path / "meeting.txt"
    path.write_bytes(encoded)
    assert read_input(path) == SAMPLE


def test_cp1252_fallback_for_windows_exports():
    raw = "Ann: I\u2019ll send the caf\u00e9 menu \u2013 Friday.\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert read_input(raw, filename="notes.txt") == "Ann: I\u2019ll send the caf\u00e9 menu \u2013 Friday.\n"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"Ann: hi\x00\x00\x01\x02", "binary file"),
        (bytes(range(256)) * 4, "binary file"),
        (b"\x81\x8d\x8f\x90\x9d" * 50, "could not read it as text"),  # bytes cp1252 leaves undefined
        (b"\xfe\xff\xd8", "says it is utf-16"),  # a UTF-16 BOM over a truncated character
    ],
)
def test_binary_or_undecodable_bytes_are_refused(data, match):
    refused(data, match, filename="upload.txt")


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("transcript.pdf", r"^transcript\.pdf: PDF files are not supported; export the transcript as \.txt"),
        ("whiteboard.PNG", r"^whiteboard\.PNG: images are not supported; export"),
        ("call.m4a", "audio and video are not supported; transcribe it first"),
        ("minutes.doc", r"re-save it as \.docx"),
        ("budget.xlsx", "spreadsheets are not supported"),
    ],
)
def test_unsupported_extensions_are_refused(tmp_path, name, match):
    path = tmp_path / name
    path.write_bytes(b"Ann: this is text but the name says otherwise")
    refused(path, match)
    refused(path.read_bytes(), match, filename=name)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF files are not supported"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "images are not supported"),
    ],
)
def test_uploads_are_sniffed_when_the_name_says_nothing(data, match):
    refused(data, match, filename="file")
    refused(data, match)


def test_text_that_happens_to_start_like_a_magic_number_is_read():
    assert read_input(b"ID3 tags: Ann: fix the mp3 metadata", filename="notes.txt").startswith("ID3")


@pytest.mark.parametrize(
    ("content", "match"), [(b"", "is empty"), (b"  \n\t\r\n  ", "contains only whitespace")]
)
def test_empty_and_whitespace_files(tmp_path, content, match):
    path = tmp_path / "blank.txt"
    path.write_bytes(content)
    refused(path, rf"^blank\.txt {match}")


def test_too_large_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse; reading it would find NUL bytes, not the size
    msg = refused(path, r"^huge\.txt is 5\.0 MB; the limit is 5 MB")
    assert "split" in msg


@pytest.mark.parametrize("source", ["bytes", "stdin"])
def test_too_large_uploads_and_stdin(source):
    data = b"Ann: hi\n" * 200
    if source == "bytes":
        refused(data, "the limit", max_bytes=1000)
    else:
        refused("-", r"^stdin is", max_bytes=1000, stdin=io.BytesIO(data))


@pytest.mark.parametrize(
    "stream", [io.BytesIO(SAMPLE.encode("utf-16")), io.StringIO(SAMPLE)], ids=["bytes", "text"]
)
def test_stdin(stream):
    assert read_input("-", stdin=stream) == SAMPLE


def test_stdin_empty():
    refused("-", "^stdin is empty", stdin=io.BytesIO(b""))


def test_missing_file_and_folder(tmp_path):
    refused(tmp_path / "nope.txt", "no such file")
    refused(tmp_path, "is a folder")


def build_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Ops sync - March 10, 2025", level=1)
    document.add_paragraph("Attendees: Ann Lee, Bo Chen")
    document.add_paragraph("Ann: Bo, can you renew the SSL cert before Friday?")
    table = document.add_table(rows=2, cols=3)
    for row, cells in zip(
        table.rows, [("Owner", "Task", "Due"), ("Bo", "Renew SSL cert", "Fri")], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("Bo: Yes, I'll do it Thursday.")
    document.save(str(path))


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    path = tmp_path / "sync.docx"
    build_docx(path)
    text = read_input(path)
    assert text.split("\n") == [
        "Ops sync - March 10, 2025",
        "Attendees: Ann Lee, Bo Chen",
        "Ann: Bo, can you renew the SSL cert before Friday?",
        "Owner | Task | Due",
        "Bo | Renew SSL cert | Fri",
        "Bo: Yes, I'll do it Thursday.",
    ]
    assert read_input(path.read_bytes()) == text  # an upload with no name is sniffed as .docx
    t = normalize_transcript(text)
    assert (t.format, t.speakers, str(t.meeting_date)) == ("plain", ("Ann", "Bo"), "2025-03-10")


@pytest.mark.parametrize("data", [b"plain text, not a zip", b"PK\x03\x04broken zip"])
def test_corrupt_docx(data):
    refused(data, r"^sync\.docx: could not open it as a Word document", filename="sync.docx")


def test_empty_docx(tmp_path):
    path = tmp_path / "empty.docx"
    docx.Document().save(str(path))
    refused(path, "empty.docx contains only whitespace|empty.docx is empty")
