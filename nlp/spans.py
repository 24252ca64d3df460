"""Helpers shared by the opnote components: span filtering, a light token view, side words."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy
from spacy.attrs import IDX, LENGTH, LOWER, ORTH, SENT_START, SPACY
from spacy.tokens import Doc

from . import extensions  # noqa: F401  (Doc._.opnote_text)
from .counting import Tokens

_FIRST_ON_LINE = re.compile(r"(?m)^[ \t]*\S")
_NEWLINE = re.compile("\n")


def longest_first(spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """Keep the longest of overlapping spans (earliest on ties), in text order."""
    chosen: list[tuple[int, int, str, str]] = []
    taken: set[int] = set()
    for s in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if not any(i in taken for i in range(s[0], s[1])):
            chosen.append(s)
            taken.update(range(s[0], s[1]))
    return sorted(chosen)


def doc_text(doc: Doc) -> str:
    """doc.text, computed once per Doc: spaCy rebuilds it from Token objects on every call."""
    text = doc._.opnote_text
    if text is None:
        # from the ORTH/SPACY arrays: no Token object is created (doc.text makes one per word)
        strings = doc.vocab.strings
        arr = doc.to_array([ORTH, SPACY]).tolist()
        text = "".join(strings[o] + " " if sp else strings[o] for o, sp in arr)
        doc._.opnote_text = text
    return text


def not_inside(spans: list[tuple[int, int, str, str]], outer: list[tuple[int, int, str, str]]
               ) -> list[tuple[int, int, str, str]]:
    """`spans` not lying inside one of `outer` ("hip" in "dynamic hip screw"), in linear time."""
    reach: dict[int, int] = {}  # token -> furthest end of an outer span starting at or before it
    for o in outer:
        for i in range(o[0], o[1]):
            if reach.get(i, -1) < o[1]:
                reach[i] = o[1]
    return [s for s in spans if reach.get(s[0], -1) < s[1]]


def span_tuples(doc: Doc, key: str) -> list[tuple[int, int, str, str]]:
    """(start, end, label, id) of the spans in doc.spans[key], read once per Doc: iterating a
    SpanGroup builds a Span object per item, and two components need the same list."""
    cached = doc.user_hooks.get(("opnote_spans", key))
    if cached is None:
        cached = [(s.start, s.end, s.label_, s.id_) for s in doc.spans.get(key, [])]
        doc.user_hooks[("opnote_spans", key)] = cached
    return cached


def token_view(doc: Doc, text: str | None = None) -> Tokens:
    """Lower-cased tokens, offsets and sentence bounds of a Doc, read in bulk, once per Doc.

    Reads attribute arrays instead of Token objects: creating a Token per word costs more
    than the rest of a component. The view is kept in `doc.user_hooks`, which spaCy never
    serialises, so several components share it and nothing extra travels between processes.
    """
    cached = doc.user_hooks.get("opnote_tokens")
    if cached is not None and len(cached.lower) == len(doc):
        return cached
    toks = _token_view(doc, text)
    doc.user_hooks["opnote_tokens"] = toks
    return toks


def trigger_index(doc: Doc, context_key: str, punctuation: dict[str, str]) -> Any:
    """The ConText triggers of a Doc (span-ruler matches, plus punctuation terminators read
    from the tokens), indexed once per Doc."""
    from .context import Trigger, TriggerIndex

    cached = doc.user_hooks.get(("opnote_triggers", context_key))
    if cached is None:
        triggers = [Trigger(s[0], s[1], s[2], *direction(s[3]))
                    for s in span_tuples(doc, context_key)]
        toks = token_view(doc)
        # punctuation ends scopes only in sentences that have a trigger to end
        live = {toks.sent_start[t.start] for t in triggers if t.category != "TERMINATE"}
        triggers += [Trigger(i, i + 1, "TERMINATE", "enumeration"
                             if w == "," and _enumeration(toks.lower, i) else punctuation[w], 0)
                     for i, w in enumerate(toks.lower)
                     if w in punctuation and toks.sent_start[i] in live]
        cached = TriggerIndex(triggers)
        doc.user_hooks[("opnote_triggers", context_key)] = cached
    return cached


def _enumeration(lower: list[str], i: int) -> bool:
    """The comma of a list ("observation, nailing and plating"): words, then and/or, next."""
    for j in range(i + 1, min(i + 4, len(lower))):
        if lower[j] in ("and", "or"):
            return j > i + 1
        if not lower[j].isalpha():
            return False
    return False


_LOWER: dict[int, str] = {}


def _token_view(doc: Doc, text: str | None = None) -> Tokens:
    n = len(doc)
    if n == 0:
        return Tokens([], [], [], [], [], [])
    arr = doc.to_array([SENT_START, IDX, LENGTH, LOWER])
    strings = doc.vocab.strings
    starts = numpy.flatnonzero(arr[:, 0] == 1).tolist() or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    sent_start = [0] * n
    sent_end = [n] * n
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else n
        sent_start[s:e] = [s] * (e - s)
        sent_end[s:e] = [e] * (e - s)
    text = doc_text(doc) if text is None else text
    idx = arr[:, 1].tolist()
    length = arr[:, 2].tolist()
    # one str per distinct word, shared across Docs (the StringStore decodes a new one per call)
    cache = _LOWER if len(_LOWER) < 200_000 else {}
    lower = [cache.get(h) or cache.setdefault(h, strings[h]) for h in arr[:, 3].tolist()]
    # a token begins a line when only spaces or tabs stand before it on that line, or when it
    # follows a bullet that begins its sentence
    first_on_line = {m.end() - 1 for m in _FIRST_ON_LINE.finditer(text)}
    first_on_line.update(m.end() for m in _NEWLINE.finditer(text))  # whitespace tokens
    first_on_line.add(0)
    line_start = [x in first_on_line for x in idx]
    for i in [k + 1 for k, w in enumerate(lower[:-1]) if w in ("•", "-", "*")]:
        if not line_start[i] and sent_start[i - 1] == i - 1:
            line_start[i] = True
    return Tokens(lower, idx, length, sent_start, sent_end, line_start)


def direction(rule_id: str) -> tuple[str, int]:
    direction, _, scope = rule_id.partition(":")
    return direction, int(scope or 0)



class SideFilter:
    """Rules out "left"/"right" in other senses ("left in place", "right angle")."""

    def __init__(self, words: dict[str, Any]) -> None:
        self.prev = set(words["side_prev_exclusions"])
        self.next = set(words["side_next_exclusions"])

    def __call__(self, toks: Tokens, s: tuple[int, int, str, str]) -> bool:
        if s[1] - s[0] > 1 or toks.lower[s[0]] not in ("left", "right"):
            return True
        prev = toks.lower[s[0] - 1] if s[0] > 0 else ""
        nxt = toks.lower[s[1]] if s[1] < len(toks.lower) else ""
        if nxt == "-" and s[1] + 1 < len(toks.lower):
            nxt = toks.lower[s[1] + 1]  # "right-angle retractor", "left-sided"
        if prev in self.prev:
            return False
        if nxt in self.next:
            # "left in place" is a verb, but "from left to right" is a side
            return nxt == "the" and prev in ("to", "from", "on", "of")
        if toks.lower[s[0]] == "left" and nxt.endswith("ed") and nxt not in ("sided", "handed"):
            return False  # "cavity left unfilled", "wound left opened"
        return True


def by_sentence(toks: Tokens, spans: list[tuple[int, int, str, str]]
                ) -> dict[int, list[tuple[int, int, str, str]]]:
    """Spans grouped by the first token of their sentence, for per-sentence lookups."""
    out: dict[int, list[tuple[int, int, str, str]]] = {}
    for s in spans:
        out.setdefault(toks.sent_start[s[0]], []).append(s)
    return out


class WordLists:
    """Base of components configured by word lists (rules/devices.yaml): the lists travel
    with the saved pipeline as words.json, so a loaded model does not depend on nlp/rules."""

    words: dict[str, Any]

    def configure(self, words: dict[str, Any]) -> None:
        self.words = words

    def to_disk(self, path: str | Path, exclude: tuple = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "words.json").write_text(json.dumps(self.words, indent=1, sort_keys=True))

    def from_disk(self, path: str | Path, exclude: tuple = ()) -> WordLists:
        from .resources import read_yaml

        saved = json.loads((Path(path) / "words.json").read_text())
        # a pipeline saved by an older version lacks newer lists: take the shipped ones
        self.configure({**read_yaml("devices.yaml"), **saved})
        return self
