"""Op-note segmentation on raw text: sentence/line boundaries and section headings.

Plain functions over strings (regex, C speed); the spaCy components in components/ wrap them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

# Sentence end: . ! ? followed by space(s) and an upper-case letter, digit, bullet or quote.
_SENT_END = re.compile(r"(?<=[.!?])(?<!\.\.)[)\"']?\s+(?=[A-Z0-9•\-\*\(\"'])")
_ABBREV = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|St|vs|approx|Fig|No|Nos|ca|cf|e\.g|i\.e|etc|"
                     r"Inc|Co|"
                     r"Ltd|Jr|Sr|Mt|Ft|fig|op|pt|Pt|wt|ht|Vol|vol|Ref|ref|Réf|réf|Cat|cat|Lot|lot)\.|\b[A-Z]\.)$")
_LIST_NUMBER = re.compile(r"^\s*(?:\d{1,2}|[a-zA-Z])[.)]$")
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]\s|[-*•·]\s|\(?[a-z]\)\s|#\d+[.)]?\s)")
_HEADING = re.compile(r"^[ \t]*(?:[>•][ \t]*)?(?:\[[ xX✓]?\][ \t]*)?(?:\d{1,2}[.)][ \t]*)?"
                      r"([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9 /&()'\-,]{1,60}?"
                      r"(?:[ \t]*\([^()\n]{1,80}\))?)"  # "Implants (not itemised, per bone):"
                      r"[ \t]*:(?:[ \t]|$)")
TITLE_MAX_WORDS = 80
SHORT_SECTIONS = {"procedure", "plan", "diagnosis", "other", "implants"}  # one paragraph each
_INLINE_SENT_END = re.compile(r"(?<=[a-z]{2}[.!?])[ \t]+(?=[A-Z])")  # prose, not list items
_BARE_LINE = re.compile(r"^[ \t]*([A-Z][a-z]+(?: [a-z]+){0,2})[ \t]*$")  # Cerner "Implants"
_CAPS_LINE = re.compile(r"^[ \t]*(?:[>•][ \t]*)?"
                        r"([A-Z][A-Z0-9 /&()'\-]{2,60}?(?:[ \t]*\([^()\n]{1,80}\))?)"
                        r"[ \t]*:?[ \t]*$")  # "IMPLANT RECORD (from OR nursing, scanned)"


def sentence_starts(text: str) -> list[int]:
    """Character offsets where a sentence or list item starts (always includes the first char).

    Line rules: a blank line, a list item, a heading or a line after a line ending in
    punctuation starts a unit; a hard-wrapped line starting in lower case continues one.
    """
    starts = {0}
    lines = text.split("\n")
    pos = 0
    prev = ""
    for line in lines:
        stripped = line.strip()
        if stripped:
            first = pos + (len(line) - len(line.lstrip()))
            heading = _HEADING.match(line) if ":" in line else None
            if (not prev.strip() or _LIST_ITEM.match(line) or heading
                    or prev.rstrip().endswith((".", ":", ";", "!", "?", "|"))
                    or len(prev.strip()) < 50 or not stripped[0].islower()):
                starts.add(first)
            if heading:
                rest = pos + heading.end()
                while rest < pos + len(line) and text[rest] in " \t":
                    rest += 1
                if rest < pos + len(line):
                    starts.add(rest)
        prev = line
        pos += len(line) + 1
    for m in _SENT_END.finditer(text):
        head = text[max(0, m.start() - 12): m.start()]
        if _ABBREV.search(head):
            continue
        line_head = text[text.rfind("\n", 0, m.start()) + 1: m.start()]
        if _LIST_NUMBER.match(line_head):
            continue  # "1. Curettage": the number of a list item, not a sentence end
        starts.add(m.end())
    return sorted(s for s in starts if s < len(text))


def find_sections(text: str, headings: Mapping[str, str]) -> list[tuple[int, int, int, str]]:
    """Sections as (heading_start, content_start, end, category), in text order.

    Text before the first heading is a `description` section (narrative notes have none).
    """
    found: list[tuple[int, int, str]] = []
    pos = 0
    for line in text.split("\n"):
        m = _HEADING.match(line) or _CAPS_LINE.match(line) or _BARE_LINE.match(line)
        if m:
            key = re.sub(r"\s+", " ", m.group(1)).strip().lower()
            category = heading_category(key, headings)
            if m.re is _BARE_LINE and key not in headings:
                category = None  # "Implants" alone on its line; not any short line
            if category is None and _CAPS_LINE.match(line) and len(key.split()) <= 6 \
                    and key.upper() == m.group(1).strip() and not line.strip().endswith("."):
                category = "other_heading"
            if category is not None:
                found.append((pos + m.start(1), pos + m.end(), category))
        pos += len(line) + 1
    sections: list[tuple[int, int, int, str]] = []
    if not found or found[0][0] > 0:
        first = found[0][0] if found else len(text)
        sections.append((0, 0, first, "description"))
    for i, (start, content, category) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        if category == "other_heading":
            category = "description"
        if category in SHORT_SECTIONS:
            # "PROCEDURE:", "PLAN:" or "EBL:" followed, after a blank line, by narrative with no
            # heading of its own: the field is its first paragraph, the rest is description
            body = text[content:end]
            lead = len(body) - len(body.lstrip())
            gap = body.find("\n\n", lead)
            inline = _field_end(body) if category != "implants" else -1
            if inline != -1 and (gap == -1 or inline < gap):
                gap = inline  # "Dx: UBC of the femur" then unheaded narrative lines
            first_para = body[: gap if gap != -1 else len(body)]
            listed = all(_LIST_ITEM.match(line) for line in first_para.strip().splitlines())
            prose = len(_INLINE_SENT_END.findall(first_para)) >= 2 and not listed
            if category == "procedure" and (
                    (len(first_para.split()) > TITLE_MAX_WORDS and not listed) or prose):
                category = "description"
            elif gap != -1 and body[gap:].strip():
                sections.append((start, content, content + gap, category))
                sections.append((content + gap, content + gap, end, "description"))
                continue
        sections.append((start, content, end, category))
    return sections


def _field_end(body: str) -> int:
    """Where an inline field ("Dx: UBC of the femur") ends when prose lines follow it with no
    heading of their own: after its line and any list items or lower-case continuations."""
    if not body.strip() or body.startswith("\n") or "\n" not in body:
        return -1
    pos = body.index("\n")
    while pos < len(body):
        nxt_end = body.find("\n", pos + 1)
        line = body[pos + 1: nxt_end if nxt_end != -1 else len(body)]
        stripped = line.strip()
        if not stripped:
            return -1  # a blank line: the paragraph rule applies
        if _LIST_ITEM.match(line) or stripped[0].islower():
            if nxt_end == -1:
                return -1
            pos = nxt_end
            continue
        return pos
    return -1


def heading_category(key: str, headings: Mapping[str, str]) -> str | None:
    """Category of a heading, allowing extra words: "Procedure(s) performed today" -> procedure."""
    if key in headings:
        return headings[key]
    plain = re.sub(r"\s*\([^)]*\)", "", key).replace(",", " ").strip()
    words = plain.split()
    if not words or len(words) > 6:
        return None
    for n in range(len(words), 0, -1):
        head = " ".join(words[:n])
        if head in headings:
            return headings[head]
        if head.rstrip("s") in headings:
            return headings[head.rstrip("s")]
    return None


_LAST: tuple[Any, list[int]] = (None, [])  # the last sections list seen, its start offsets


def section_at(sections: list[tuple[int, int, int, str]], char: int) -> tuple[int, int, int, str]:
    """The section containing a character offset."""
    global _LAST
    last = _LAST  # one Doc's sections are asked about many times in a row
    if last[0] is not sections:
        last = _LAST = (sections, [s[0] for s in sections])  # swapped whole: thread-safe
    i = max(0, bisect_right(last[1], char) - 1)
    return sections[i]


_QTY_HEADERS = {"qty", "quantity", "count", "no.", "#", "units", "qty used", "number", "n", "no",
                "amount",
                "qty.", "quantity used", "used"}


def table_quantities(text: str) -> dict[int, tuple[int | None, int, int]]:
    """Quantity cells of implant-log tables (pipe- or tab-separated with a Qty header).

    Returns {line_start_char: (quantity, cell_start, cell_end)} for every data row; the
    quantity is None when the cell holds words ("see count sheet").
    """
    out: dict[int, tuple[int | None, int, int]] = {}
    if "|" not in text and "\t" not in text:
        return out
    column: int | None = None
    sep = "|"
    pos = 0
    for line in text.split("\n"):
        line_sep = "|" if line.count("|") >= 2 else ("\t" if line.count("\t") >= 2 else None)
        if line_sep is None:
            column = None
        else:
            cells = line.split(line_sep)
            names = [c.strip().lower() for c in cells]
            qty = [i for i, c in enumerate(names) if c in _QTY_HEADERS]
            if qty:
                column, sep = qty[0], line_sep
            elif column is not None and line_sep == sep and column < len(cells):
                cell = cells[column].strip()
                offset = pos + sum(len(c) + 1 for c in cells[:column])
                if cell.isdigit() and 0 < int(cell) <= 60:
                    cstart = offset + cells[column].index(cell)
                    out[pos] = (int(cell), cstart, cstart + len(cell))
                elif cell and not cell.replace("-", "").strip() == "":
                    # "see count sheet", "various": the log row gives no number
                    cstart = offset + cells[column].index(cell)
                    out[pos] = (None, cstart, cstart + len(cell))
        pos += len(line) + 1
    return out
