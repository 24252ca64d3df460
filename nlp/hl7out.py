"""A check result as an HL7 v2 MDM^T02 message (`opcheck check --format hl7`).

So that a CDI system can file the result next to the note: the verdict, reasons, warnings,
suggested primary, devices and physician queries each become a TX observation (OBX). TXA-13
(parent document number) carries the checked report's id, TXA-12 a new id for this result.
opcheck knows no patient identifiers, so PID and PV1 are present (the structure requires
them) but empty; the receiving system links the result through TXA-13.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from .schemas import CheckResult

SEGMENT_END = "\r"
_SPECIAL = re.compile(r"[\\|^&~\n\r]")
_ESCAPES = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\",
            "\n": "\\.br\\", "\r": ""}


def escape(value: str) -> str:
    """Text -> an HL7 field value: delimiters escaped, line breaks as \\.br\\."""
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group(0)], value.replace("\r\n", "\n"))


def result_to_mdm(result: CheckResult, document_id: str | None = None, addon: str = "27358",
                  now: datetime | None = None, control_id: str | None = None,
                  sending_application: str = "OPCHECK") -> str:
    """One MDM^T02 message, segments ended by CR."""
    ts = (now or datetime.now()).strftime("%Y%m%d%H%M%S")
    control_id = control_id or uuid.uuid4().hex[:20]
    app = escape(sending_application)
    segments = [
        f"MSH|^~\\&|{app}|{app}|||{ts}||MDM^T02^MDM_T02|{escape(control_id)}|P|2.5.1"
        "||||||UNICODE UTF-8",
        f"EVN|T02|{ts}",
        "PID|1",
        "PV1|1|U",
        f"TXA|1|CDI^{escape(addon)} documentation check^L|TX|{ts}||||||||"
        f"{escape(control_id)}^{app}|{escape(document_id or '')}|||||DO||AV",
    ]
    observations: list[tuple[str, str, str]] = [("VERDICT", "Verdict", result.verdict)]
    observations += [("REASON", "Reason", f"{r.code}: {r.message}") for r in result.reasons]
    observations += [("WARNING", "Warning", f"{w.code}: {w.message}") for w in result.warnings]
    if result.suggested_primary:
        observations.append(("SUGGESTED_PRIMARY", "Suggested primary code",
                             result.suggested_primary))
    observations += [("DEVICE", "Device", _device(d)) for d in result.devices]
    observations += [("QUERY", "Physician query", q) for q in result.queries]
    sub_ids: dict[str, int] = {}
    for n, (code, label, value) in enumerate(observations, 1):
        sub_ids[code] = sub_ids.get(code, 0) + 1
        segments.append(f"OBX|{n}|TX|{code}^{label}^L|{sub_ids[code]}|{escape(value)}"
                        "||||||F")
    return SEGMENT_END.join(segments) + SEGMENT_END


def _device(d) -> str:
    parts = [d.type, "count unknown" if d.count is None else f"x{d.count}",
             d.site.bone or "bone not documented"]
    if d.site.region:
        parts.append(d.site.region)
    if d.laterality:
        parts.append(d.laterality)
    parts.append(d.status)
    return ", ".join(parts)
