"""The .hl7 reader: MDM/ORU messages, MLLP, escapes, ids, one broken message among good ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures import builders as B

from nlp.readers import Document, ReaderError, read_path
from nlp.readers.hl7v2 import Encoding, unescape

NOTE = "PROCEDURE: Curettage, left distal femur.\nPlate x1 | screws x6 ^ 10 cc & DBM ~ ok\\done"
MSH = "MSH|^~\\&|EHR|HOSP|CDI|HOSP|20240102||{kind}|{ctl}|P|2.5.1"


def read(tmp_path: Path, raw: bytes, yield_errors: bool = True) -> list:
    path = tmp_path / "msgs.hl7"
    path.write_bytes(raw)
    return list(read_path(path, yield_errors=yield_errors))


@pytest.mark.parametrize("mllp", [False, True])
def test_mdm_lines_and_oru_ft_both_round_trip_the_text(tmp_path: Path, mllp: bool) -> None:
    msgs = [B.hl7_message(NOTE, "DOC-1"), B.hl7_message(NOTE, "ORD-2", "ORU^R01", "c2", ft=True),
            B.hl7_message(NOTE, "DOC-3", "MDM^T04", "c3")]
    docs = read(tmp_path, B.hl7_file(msgs, mllp=mllp))
    assert [(d.id, d.text) for d in docs] == [("DOC-1", NOTE), ("ORD-2", NOTE), ("DOC-3", NOTE)]
    assert docs[1].meta == {"format": "hl7v2", "message": "2", "message_type": "ORU^R01",
                            "control_id": "c2"}


@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n"])
def test_segment_ends(tmp_path: Path, sep: str) -> None:
    msg = B.hl7_message("line one\nline two", "D1").replace("\r", sep)
    [doc] = read(tmp_path, msg.encode())
    assert doc.text == "line one\nline two"


def test_escape_sequences() -> None:
    enc = Encoding()
    value = r"a\F\b\S\c\T\d\R\e\E\f\.br\g\X4F4B\h\H\bold\N\\.sp2\i\.in+4\j\Zloc\k\unknown"
    assert unescape(value, enc) == "a|b^c&d~e\\f\ngOKhbold\n\n\nijk\\unknown"
    custom = Encoding("#", "$", "%", "!", "*")
    assert unescape("x!F!y!.br!z", custom) == "x#y\nz"


def test_repetitions_and_raw_line_breaks_are_kept(tmp_path: Path) -> None:
    msg = (MSH.format(kind="ORU^R01", ctl="9") + "\rOBR|1||R-9\r"
           "OBX|1|TX|x||first~second||||||F\rOBX|2|TX|x||third\ncontinued here||||||F\r"
           "OBX|3|NM|x||42||||||F\r")
    [doc] = read(tmp_path, msg.encode())
    assert doc.id == "R-9"
    assert doc.text == "first\nsecond\nthird\ncontinued here"


def test_id_fallbacks(tmp_path: Path) -> None:
    obx = "\rOBX|1|TX|x||Plate on the left femur.||||||F\r"
    files = {
        "txa": MSH.format(kind="MDM^T02", ctl="C1") + "\rTXA|1|OP|TX|||||||||DOC-7^H" + obx,
        "obr2": MSH.format(kind="ORU^R01", ctl="C2") + "\rOBR|1|PLACER-5^H|" + obx,
        "msh10": MSH.format(kind="ORU^R01", ctl="C3") + obx,
        "none": MSH.format(kind="ORU^R01", ctl="") + obx,
    }
    ids = {k: read(tmp_path, v.encode())[0].id for k, v in files.items()}
    assert ids == {"txa": "DOC-7", "obr2": "PLACER-5", "msh10": "C3", "none": "msgs-1"}


def test_one_broken_message_among_good_ones(tmp_path: Path) -> None:
    good1 = B.hl7_message(NOTE, "DOC-1", control_id="c1")
    no_text = B.hl7_message(NOTE, "DOC-2", control_id="c2").split("\rOBX")[0] + "\r"
    wrong_type = B.hl7_message(NOTE, "DOC-3", "ADT^A01", "c3")
    truncated_msh = "MSH|^~\r"
    good2 = B.hl7_message(NOTE, "DOC-5", "ORU^R01", "c5", ft=True)
    raw = B.hl7_file([good1, no_text, wrong_type, truncated_msh, good2], mllp=True)
    items = read(tmp_path, raw)
    kinds = [(type(i).__name__, i.id if isinstance(i, Document) else i.part) for i in items]
    assert kinds == [("Document", "DOC-1"), ("ReaderError", "DOC-2"), ("ReaderError", "c3"),
                     ("ReaderError", "4"), ("Document", "DOC-5")]
    messages = [str(i) for i in items if isinstance(i, ReaderError)]
    assert messages == [
        "msgs.hl7: message 2 (c2): no report text in OBX-5 (value type TX, FT or ST)",
        "msgs.hl7: message 3 (c3): message type ADT^A01 is not a document message "
        "(expected MDM^T02/T04 or ORU^R01)",
        "msgs.hl7: message 4: MSH segment is too short",
    ]
    # default mode: the documents first, then one error naming every bad message
    got = []
    with pytest.raises(ReaderError, match=r"2 report\(s\) read, 3 part\(s\) unreadable"):
        for doc in read_path(tmp_path / "msgs.hl7"):
            got.append(doc.id)
    assert got == ["DOC-1", "DOC-5"]


def test_all_broken_or_not_hl7(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match=r"no HL7 message \(no MSH segment\)"):
        read(tmp_path, b"PID|1||123\rOBX|1|TX|x||text\r")
    with pytest.raises(ReaderError, match="message type ADT"):
        read(tmp_path, B.hl7_message(NOTE, "D", "ADT^A08").encode())


def test_junk_before_the_first_message_is_reported(tmp_path: Path) -> None:
    raw = b"garbage line\n" + B.hl7_message(NOTE, "D1").encode()
    items = read(tmp_path, raw)
    assert isinstance(items[0], ReaderError) and "before the first MSH" in str(items[0])
    assert items[1].id == "D1"


def test_latin1_file_and_no_patient_identifiers(tmp_path: Path) -> None:
    msg = B.hl7_message("Café, left femur", "D1")
    [doc] = read(tmp_path, msg.encode("cp1252"))
    assert doc.text == "Café, left femur"
    blob = json.dumps([doc.id, doc.meta, doc.text])
    assert "MRN0042" not in blob and "TESTPATIENT" not in blob
