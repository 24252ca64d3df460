"""nlp.readers: the registry contract, size limits before parsing, per-part errors; read_bytes
(a file's content in memory) keeps the same contract as read_path."""

from __future__ import annotations

import builtins
import io
import os
import pickle
import tempfile
import time
from pathlib import Path

import pytest
from fixtures import builders as B

from nlp import readers
from nlp.readers import Document, ReaderError, read_bytes, read_path, register

FORMATS = [".txt", ".rtf", ".docx", ".pdf", ".hl7", ".json"]
NOTE = "Curettage of left distal femoral cyst; plate x1 and screws x6, left distal femur."


@pytest.mark.parametrize("suffix", FORMATS)
def test_oversize_is_refused_by_size_before_parsing(tmp_path: Path, suffix: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A sparse 1 GB file of each type costs nothing: refused on its size, never opened."""
    path = tmp_path / f"huge{suffix}"
    with path.open("wb") as fh:
        fh.truncate(1 << 30)
    readers.supported_suffixes()  # built-ins loaded first, so monkeypatch puts them back
    monkeypatch.setitem(readers._READERS, suffix, _must_not_parse)
    start = time.monotonic()
    with pytest.raises(ReaderError, match=r"huge\S*: file is 1073741824 bytes, over the"):
        list(read_path(path))
    assert time.monotonic() - start < 1.0


def _must_not_parse(path: Path, raw: bytes):
    raise AssertionError("parsed an oversize file")


def test_raw_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "note.rtf"
    path.write_bytes(B.rtf(NOTE))
    with pytest.raises(ReaderError, match="over the 100 byte limit"):
        list(read_path(path, max_raw_bytes=100))
    assert [d.text.strip() for d in read_path(path)] == [NOTE]


@pytest.mark.parametrize("suffix, build", [
    (".rtf", B.rtf), (".docx", B.docx), (".pdf", B.pdf),
    (".hl7", lambda t: B.hl7_file([B.hl7_message(t, "x")])),
    (".json", lambda t: B.fhir(B.document_reference("x", t.encode()))),
])
def test_text_limit_after_extraction(tmp_path: Path, suffix: str, build) -> None:
    path = tmp_path / f"long{suffix}"
    path.write_bytes(build(NOTE))
    with pytest.raises(ReaderError, match="extracted text is over 40 characters"):
        list(read_path(path, max_text_chars=40))


def test_unsupported_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match=r"unsupported file type '\.xyz'"):
        list(read_path(tmp_path / "a.xyz"))
    with pytest.raises(ReaderError, match="cannot read"):
        list(read_path(tmp_path / "missing.pdf"))
    with pytest.raises(ReaderError, match="not a regular file"):
        list(read_path(_dir(tmp_path / "folder.rtf")))


def _dir(p: Path) -> Path:
    p.mkdir()
    return p


@pytest.fixture
def parts_reader():
    """A '.parts' reader yielding the given sequence of Documents and ReaderErrors."""
    plan: list[Document | ReaderError | Exception] = []

    @register(".parts")
    def read_parts(path: Path, raw: bytes):
        for item in plan:
            if isinstance(item, Exception) and not isinstance(item, ReaderError):
                raise item
            yield item

    yield plan
    readers._READERS.pop(".parts")


def test_part_errors_default_mode_raises_after_the_documents(tmp_path: Path,
                                                             parts_reader) -> None:
    parts_reader += [Document("a", NOTE), ReaderError("f.parts: message 2: broken", "2"),
                     Document("c", NOTE), ReaderError("f.parts: message 4: broken", "4")]
    path = tmp_path / "f.parts"
    path.write_text("x")
    got = []
    with pytest.raises(ReaderError) as info:
        for doc in read_path(path):
            got.append(doc.id)
    assert got == ["a", "c"]
    assert str(info.value) == ("f.parts: 2 report(s) read, 2 part(s) unreadable: "
                               "message 2: broken; message 4: broken")
    assert [e.part for e in info.value.errors] == ["2", "4"]


def test_part_errors_yielded_in_place(tmp_path: Path, parts_reader) -> None:
    parts_reader += [Document("a", NOTE), ReaderError("bad", "2"), Document("c", "  "),
                     Document("d", NOTE)]
    path = tmp_path / "f.parts"
    path.write_text("x")
    items = list(read_path(path, yield_errors=True))
    assert [(type(i).__name__, getattr(i, "id", None) or i.part) for i in items] == [
        ("Document", "a"), ("ReaderError", "2"), ("ReaderError", "c"), ("Document", "d")]
    assert str(items[2]) == "f.parts [c]: no report text"


def test_nothing_readable_raises(tmp_path: Path, parts_reader) -> None:
    parts_reader += [ReaderError("f.parts: message 1: broken", "1"),
                     ReaderError("f.parts: message 2: broken", "2")]
    path = tmp_path / "f.parts"
    path.write_text("x")
    for mode in (False, True):
        with pytest.raises(ReaderError, match="no readable report, 2 part"):
            list(read_path(path, yield_errors=mode))


def test_a_reader_crash_becomes_a_reader_error(tmp_path: Path, parts_reader) -> None:
    parts_reader.append(KeyError("boom"))
    path = tmp_path / "f.parts"
    path.write_text("x")
    with pytest.raises(ReaderError, match=r"f.parts: cannot be read as .parts \(KeyError\)"):
        list(read_path(path))


def test_reader_error_pickles_with_its_part() -> None:
    """The audit ships errors between dask workers."""
    err = pickle.loads(pickle.dumps(ReaderError("m", "p", [ReaderError("x")])))
    assert (str(err), err.part, [str(e) for e in err.errors]) == ("m", "p", ["x"])


# ------------------------------------------------------------------ read_bytes

BUILD = {
    ".txt": lambda t: t.encode("utf-8"), ".rtf": B.rtf, ".docx": B.docx, ".pdf": B.pdf,
    ".hl7": lambda t: B.hl7_file([B.hl7_message(t, "OP-1"), B.hl7_message(t, "OP-2")]),
    ".json": lambda t: B.fhir(B.bundle([B.document_reference("d1", t.encode()),
                                        B.document_reference("d2", t.encode())])),
}


def _docs(items) -> list[tuple]:
    return [(type(i).__name__, i.id, i.text, i.meta) if isinstance(i, Document)
            else (type(i).__name__, str(i), i.part) for i in items]


@pytest.mark.parametrize("suffix", FORMATS)
def test_read_bytes_gives_what_read_path_gives(tmp_path: Path, suffix: str) -> None:
    raw = BUILD[suffix](NOTE)
    path = tmp_path / f"note{suffix}"
    path.write_bytes(raw)
    from_bytes = list(read_bytes(path.name, raw))
    assert _docs(from_bytes) == _docs(read_path(path))
    assert [d.text.strip() for d in from_bytes] == [NOTE] * len(from_bytes)


def test_read_bytes_writes_nothing_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"note{s}": BUILD[s](NOTE) for s in FORMATS}
    for name, raw in files.items():  # parser modules are imported on first use: not here
        list(read_bytes(name, raw))

    def no_disk(*args, **kwargs):
        raise AssertionError("read_bytes touched the file system")

    with monkeypatch.context() as m:
        for module, attr in [(builtins, "open"), (io, "open"), (os, "open"),
                             (tempfile, "mkstemp"), (tempfile, "mkdtemp"),
                             (tempfile, "TemporaryFile"), (tempfile, "NamedTemporaryFile"),
                             (tempfile, "SpooledTemporaryFile")]:
            m.setattr(module, attr, no_disk)
        got = {name: [d.text.strip() for d in read_bytes(name, raw)]
               for name, raw in files.items()}
    assert all(texts and set(texts) == {NOTE} for texts in got.values()), got


@pytest.mark.parametrize("suffix", FORMATS)
def test_read_bytes_refuses_oversize_before_parsing(suffix: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    readers.supported_suffixes()
    monkeypatch.setitem(readers._READERS, suffix, _must_not_parse)
    with pytest.raises(ReaderError, match=rf"^big\{suffix}: file is 101 bytes, over the 100 "):
        list(read_bytes(f"big{suffix}", b"x" * 101, max_raw_bytes=100))


@pytest.mark.parametrize("suffix", [".rtf", ".docx", ".pdf", ".hl7", ".json"])
def test_read_bytes_text_limit_after_extraction(suffix: str) -> None:
    with pytest.raises(ReaderError, match="extracted text is over 40 characters"):
        list(read_bytes(f"long{suffix}", BUILD[suffix](NOTE), max_text_chars=40))


def test_read_bytes_unsupported_empty_and_damaged() -> None:
    with pytest.raises(ReaderError, match=r"^a\.xyz: unsupported file type '\.xyz'"):
        list(read_bytes("a.xyz", b"text"))
    with pytest.raises(ReaderError, match=r"unsupported file type '\(none\)'"):
        list(read_bytes("README", b"text"))
    with pytest.raises(ReaderError, match=r"empty: empty\.txt"):
        list(read_bytes("empty.txt", b""))
    with pytest.raises(ReaderError, match=r"^blank\.docx: no report text"):
        list(read_bytes("blank.docx", B.docx("  \n ")))
    with pytest.raises(ReaderError, match=r"^scan\.pdf: "):
        list(read_bytes("scan.pdf", B.pdf(None)))
    with pytest.raises(ReaderError, match=r"^x\.pdf: not a PDF file"):
        list(read_bytes("x.pdf", b"a report, not a PDF"))


def test_read_bytes_uses_only_the_last_name_component() -> None:
    [doc] = read_bytes("some/dir/op-note.docx", B.docx(NOTE))
    assert doc.id == "op-note"
    with pytest.raises(ReaderError, match=r"^x\.pdf: "):
        list(read_bytes("/tmp/x.pdf", b"junk"))


def test_read_bytes_part_errors_both_modes(parts_reader) -> None:
    parts_reader += [Document("a", NOTE), ReaderError("f.parts: message 2: broken", "2"),
                     Document("c", NOTE)]
    got = []
    with pytest.raises(ReaderError) as info:
        for doc in read_bytes("f.parts", b"x"):
            got.append(doc.id)
    assert got == ["a", "c"]
    assert str(info.value) == "f.parts: 2 report(s) read, 1 part(s) unreadable: message 2: broken"
    items = list(read_bytes("f.parts", b"x", yield_errors=True))
    assert [getattr(i, "id", None) or i.part for i in items] == ["a", "2", "c"]


def test_read_bytes_crash_and_nothing_readable(parts_reader) -> None:
    parts_reader.append(KeyError("boom"))
    with pytest.raises(ReaderError, match=r"^f.parts: cannot be read as .parts \(KeyError\)"):
        list(read_bytes("f.parts", b"x"))
    parts_reader[:] = [ReaderError("f.parts: message 1: broken", "1"),
                       ReaderError("f.parts: message 2: broken", "2")]
    with pytest.raises(ReaderError, match="no readable report, 2 part"):
        list(read_bytes("f.parts", b"x", yield_errors=True))


def test_read_bytes_time_limit() -> None:
    with pytest.raises(ReaderError, match=r"bomb\.pdf: reading took over 1 s"):
        list(read_bytes("bomb.pdf", B.pdf_form_bomb(), max_seconds=1))
