"""Hostile input (property-based): arbitrary Unicode, control characters, very long lines and
random or mutated bytes thrown at `Checker.check` and at every reader.

Every input ends in a result or a typed error (InputError from the checker, ReaderError from
a reader), never a crash, and within a bounded time (hypothesis' per-example deadline).
100 examples per property; set OPCHECK_FUZZ_EXAMPLES=5000 for a longer hunt.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from fixtures import builders as B
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.check import InputError
from nlp.readers import Document, ReaderError, read_path, supported_suffixes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("OPCHECK_FUZZ_EXAMPLES", 100))
BOUND = settings(max_examples=EXAMPLES, deadline=2000, database=None,
                 suppress_health_check=[HealthCheck.too_slow,
                                        HealthCheck.function_scoped_fixture])
MAX_SECONDS = 5.0  # a hard bound per input, on top of the deadline (which may be retried)
VERDICTS = {"supported", "query", "not_supported"}

NOTE = json.loads((ROOT / "corpus" / "dev.jsonl").read_text(encoding="utf-8")
                  .splitlines()[0])["text"]

controls = st.sampled_from([chr(c) for c in [*range(0, 32), *range(127, 160)]]
                           + ["\u2028", "\u2029", "\ufeff", "\u200b", "\ufffd"])
texts = st.one_of(
    st.text(max_size=3000),
    st.text(alphabet=controls, max_size=500),
    st.lists(st.one_of(controls, st.characters()), max_size=800).map("".join),
    # very long lines (no newline) of a repeated random chunk, up to ~60k characters
    st.builds(lambda chunk, n: chunk * n, st.text(min_size=1, max_size=30),
              st.integers(500, 2000)).map(lambda s: s[:60_000]),
    st.binary(max_size=3000).map(lambda b: b.decode("latin-1")),
    # a real note with random damage spliced in
    st.tuples(st.integers(0, len(NOTE)), st.text(max_size=200)).map(
        lambda t: NOTE[: t[0]] + t[1] + NOTE[t[0]:]),
)


def _timed(fn, *args):
    start = time.monotonic()
    out = fn(*args)
    assert time.monotonic() - start < MAX_SECONDS
    return out


def _check(checker, text: str, primary: str | None):
    try:
        result = checker.check(text, primary)
    except InputError:
        return None
    assert result.verdict in VERDICTS
    return result


@BOUND
@given(text=texts, primary=st.sampled_from([None, "27356", "2735", "27245", " ", "abc\x00"]))
def test_check_gives_a_verdict_or_an_input_error(checker, text: str,
                                                 primary: str | None) -> None:
    _timed(_check, checker, text, primary)


# --- readers -----------------------------------------------------------------------------

SAMPLES = {
    ".txt": NOTE.encode("utf-8"),
    ".rtf": B.rtf(NOTE),
    ".docx": B.docx(NOTE),
    ".pdf": B.pdf(NOTE),
    ".hl7": B.hl7_file([B.hl7_message(NOTE, "A"), B.hl7_message(NOTE, "B", "ORU^R01", "2",
                                                                 ft=True)], mllp=True),
    ".json": B.fhir(B.bundle([B.document_reference("a", NOTE.encode()),
                              B.document_reference("b", B.rtf(NOTE), "text/rtf")])),
}
MAGIC = [b"", b"{\\rtf1 ", b"%PDF-1.4\n", b"PK\x03\x04", b"MSH|^~\\&|", b"\x0bMSH|^~\\&|",
         b'{"resourceType": "Bundle", "entry": [', b'{"resourceType": "DocumentReference"',
         b"\xef\xbb\xbf", b"\xff\xfe"]


def test_samples_cover_every_registered_suffix() -> None:
    assert {s for s in supported_suffixes() if s != ".text"} == set(SAMPLES)


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A valid sample of some format, truncated and with a few bytes overwritten/inserted."""
    suffix = draw(st.sampled_from(sorted(SAMPLES)))
    raw = bytearray(SAMPLES[suffix])
    for _ in range(draw(st.integers(0, 8))):
        pos = draw(st.integers(0, len(raw)))
        junk = draw(st.binary(min_size=1, max_size=16))
        if draw(st.booleans()):
            raw[pos:pos + len(junk)] = junk
        else:
            raw[pos:pos] = junk
    cut = draw(st.one_of(st.none(), st.integers(0, len(raw))))
    return suffix, bytes(raw if cut is None else raw[:cut])


random_files = st.tuples(
    st.sampled_from(sorted(SAMPLES)),
    st.tuples(st.sampled_from(MAGIC), st.binary(max_size=4000)).map(lambda t: t[0] + t[1]),
)
escapes = st.one_of(  # Unicode escapes that decode to lone surrogates or odd code points
    st.tuples(st.just(".rtf"), st.lists(st.integers(-32768, 65535), min_size=1, max_size=20)
              .map(lambda ns: b"{\\rtf1 x" + b"".join(b"\\u%d?" % n for n in ns) + b"}")),
    st.tuples(st.just(".json"), st.integers(0, 0xFFFF).map(lambda n: B.fhir(
        B.document_reference(f"id-{chr(n)}", NOTE.encode())).replace(b"id-", b"id-\\udc80"))),
)
unicode_files = st.tuples(st.sampled_from(sorted(SAMPLES)),
                          texts.map(lambda s: s.encode("utf-8", "surrogatepass")))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def _read_all(checker, path: Path) -> None:
    try:
        items = list(read_path(path, yield_errors=True))
    except ReaderError as exc:
        assert str(exc)
        return
    assert items
    for item in items:
        assert isinstance(item, (Document, ReaderError))
        if isinstance(item, Document):
            assert isinstance(item.id, str) and item.text.strip()
            item.id.encode("utf-8"), item.text.encode("utf-8")  # printable: no lone surrogates
            _check(checker, item.text, None)


@BOUND
@given(case=st.one_of(mutated(), random_files, unicode_files, escapes))
def test_every_reader_gives_documents_or_a_reader_error(checker, workdir: Path,
                                                        case: tuple[str, bytes]) -> None:
    suffix, raw = case
    path = workdir / f"input{suffix}"
    path.write_bytes(raw)
    _timed(_read_all, checker, path)


def test_check_survives_a_lone_surrogate(checker) -> None:
    """JSONL or web input can carry one; it is replaced, offsets unchanged."""
    result = _check(checker, "left femur \ud800 plate", None)
    assert result is not None
