"""opnote_span_ruler: spaCy's SpanRuler that skips its token Matcher when no pattern can start.

The token Matcher walks every token of every Doc even for two patterns (about a quarter of
the checker's time). When every token pattern starts with a literal ORTH/TEXT value, a
report holding none of those words cannot match, so only the phrase matcher runs. The
output is the same as `span_ruler` with the same settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy
from spacy.attrs import IS_ALPHA, ORTH
from spacy.language import Language
from spacy.pipeline.span_ruler import SpanRuler
from spacy.tokens import Doc, Span


def literal_first_tokens(patterns: Iterable[dict[str, Any]]) -> set[str] | None:
    """Words every token pattern must start with, or None if one can start with anything."""
    words: set[str] = set()
    for entry in patterns:
        pattern = entry["pattern"]
        if isinstance(pattern, str):
            continue
        if not pattern:
            return None
        first = pattern[0]
        if set(first) - {"ORTH", "TEXT"} or len(first) != 1:
            return None
        value = next(iter(first.values()))
        if isinstance(value, str):
            words.add(value)
        elif isinstance(value, dict) and set(value) == {"IN"}:
            words.update(str(v) for v in value["IN"])
        else:
            return None
    return words


def alpha_followed(patterns: Iterable[dict[str, Any]], words: set[str]) -> set[str]:
    """First words whose every token pattern goes on with an alphabetic token ("#" in
    "# of femur"): where such a word is followed by a number, no pattern can start."""
    out = set(words)
    for entry in patterns:
        pattern = entry["pattern"]
        if isinstance(pattern, str) or not pattern:
            continue
        value = next(iter(pattern[0].values()))
        firsts = {value} if isinstance(value, str) else set(value.get("IN", []))
        if len(pattern) < 2 or pattern[1] != {"IS_ALPHA": True}:
            out -= firsts
    return out


class GatedSpanRuler(SpanRuler):
    """SpanRuler whose token Matcher runs only on Docs that contain a pattern's first word."""

    _anchors: numpy.ndarray | None = None
    _anchors_stale: bool = True

    def add_patterns(self, patterns: list[dict[str, Any]]) -> None:
        super().add_patterns(patterns)
        self._anchors_stale = True

    # remove() and remove_by_id() only shrink the pattern set: stale anchors stay a superset.
    def clear(self) -> None:
        super().clear()
        self._anchors_stale = True

    _alpha_next: numpy.ndarray | None = None

    def _anchor_hashes(self) -> numpy.ndarray | None:
        if self._anchors_stale:
            words = literal_first_tokens(self._patterns)
            strings = self.nlp.vocab.strings
            self._anchors = None if words is None else numpy.asarray(
                [strings.add(w) for w in words], dtype="uint64")
            self._alpha_next = None if words is None else numpy.asarray(
                [strings.add(w) for w in alpha_followed(self._patterns, words)], dtype="uint64")
            self._anchors_stale = False
        return self._anchors

    def _may_match(self, doc: Doc, anchors: numpy.ndarray) -> bool:
        """Whether a token pattern can start somewhere in `doc`."""
        arr = doc.to_array([ORTH, IS_ALPHA])
        # (a handful of anchors: comparing against each beats numpy.isin's set-up)
        at = numpy.flatnonzero((arr[:, 0, None] == anchors[None, :]).any(axis=1))
        if not len(at):
            return False
        needs_alpha = (arr[at, 0, None] == self._alpha_next[None, :]).any(axis=1)
        nxt = numpy.minimum(at + 1, len(arr) - 1)
        ok = ~needs_alpha | ((at + 1 < len(arr)) & (arr[nxt, 1] == 1))
        return bool(ok.any())

    def set_annotations(self, doc: Doc, matches: list[Span]) -> None:
        fresh = self.overwrite or not self.key or not doc.spans.get(self.key)
        super().set_annotations(doc, matches)
        if self.key and fresh and self.spans_filter is None:
            # the components after us read (start, end, label, id): from the Spans at hand,
            # not by iterating doc.spans, which builds every Span again
            doc.user_hooks[("opnote_spans", self.key)] = [
                (s.start, s.end, s.label_, s.id_) for s in matches]

    def match(self, doc: Doc) -> list[Span]:
        anchors = self._anchor_hashes()
        if anchors is None or self._may_match(doc, anchors):
            return super().match(doc)
        # The rest of SpanRuler.match, without the token Matcher.
        self._require_patterns()
        spans = {
            Span(doc, start, end, label=self._match_label_id_map[m_id]["label"],
                 span_id=self._match_label_id_map[m_id]["id"])
            for m_id, start, end in self.phrase_matcher(doc) if start != end
        }
        return sorted(spans)


@Language.factory(
    "opnote_span_ruler",
    assigns=["doc.spans"],
    default_config={
        "spans_key": "ruler",
        "spans_filter": None,
        "annotate_ents": False,
        "ents_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
        "phrase_matcher_attr": None,
        "matcher_fuzzy_compare": {"@misc": "spacy.levenshtein_compare.v1"},
        "validate": False,
        "overwrite": True,
        "scorer": None,
    },
)
def make_span_ruler(nlp: Language, name: str, spans_key: str | None,
                    spans_filter: Callable | None, annotate_ents: bool,
                    ents_filter: Callable, phrase_matcher_attr: str | None,
                    matcher_fuzzy_compare: Callable, validate: bool, overwrite: bool,
                    scorer: Callable | None) -> GatedSpanRuler:
    """The same settings as spaCy's `span_ruler` factory."""
    return GatedSpanRuler(
        nlp, name, spans_key=spans_key, spans_filter=spans_filter,
        annotate_ents=annotate_ents, ents_filter=ents_filter,
        phrase_matcher_attr=phrase_matcher_attr, matcher_fuzzy_compare=matcher_fuzzy_compare,
        validate=validate, overwrite=overwrite, scorer=scorer)
