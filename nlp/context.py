"""ConText-style status assignment (Harkema et al. 2009), on plain tuples.

A trigger has a category, a direction and a maximum scope; its scope ends at the sentence
boundary or at a terminator. PSEUDO triggers shadow the triggers they overlap.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import NamedTuple


class Trigger(NamedTuple):
    start: int
    end: int
    category: str
    direction: str  # forward | backward | bidirectional; terminators: both | forward |
    #                 backward | forward_adjacent (ends a scope even right after its trigger) |
    #                 enumeration (a list's comma: ends forward scopes except PLANNED ones)
    max_scope: int


class Hit(NamedTuple):
    category: str
    start: int
    end: int


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def prepare(triggers: list[Trigger]) -> tuple[list[Trigger], list[Trigger]]:
    """Split raw matches into modifier triggers and terminators, dropping shadowed ones."""
    pseudo_tokens = {i for t in triggers if t.category == "PSEUDO" for i in range(t.start, t.end)}
    terms = [t for t in triggers if t.category == "TERMINATE"]
    mods = [t for t in triggers if t.category not in ("PSEUDO", "TERMINATE")
            and not any(i in pseudo_tokens for i in range(t.start, t.end))]
    # A longer modifier trigger shadows a shorter one inside it ("not required" over "not").
    by_start: dict[int, list[Trigger]] = {}
    for t in mods:
        by_start.setdefault(t.start, []).append(t)
    longest = max((t.end - t.start for t in mods), default=0)
    mods = [t for t in mods if not any(
        o is not t and t.end <= o.end and (o.end - o.start) > (t.end - t.start)
        for k in range(t.start - longest + 1, t.start + 1) for o in by_start.get(k, ()))]
    mod_tokens = {i for m in mods for i in range(m.start, m.end)}
    terms = [t for t in terms if not any(i in mod_tokens for i in range(t.start, t.end))]
    return mods, terms


# When several modifiers cover a mention, the most decisive one wins ("the old plate was
# removed" is removed, not historical); distance breaks ties.
PRIORITY = {"PROVISIONAL": 0, "REMOVED": 1, "NEGATED": 2, "PLANNED": 3, "HISTORICAL": 4}


def status_of(
    start: int, end: int, sent_start: int, sent_end: int,
    mods: list[Trigger], terms: list[Trigger],
) -> Hit | None:
    """The closest modifier whose scope covers tokens [start, end) within one sentence."""
    best: tuple[int, int, Hit] | None = None
    for t in mods:
        if t.end <= sent_start or t.start >= sent_end or _overlaps(t.start, t.end, start, end):
            continue
        dist = None
        if t.end <= start and t.direction in ("forward", "bidirectional"):
            limit = min(sent_end, t.end + t.max_scope) if t.max_scope else sent_end
            # a terminator right after the trigger does not end it ("previously placed
            # screws"), unless it is marked to ("removed from the screw post")
            if start < limit and not any(
                    t.end <= term.start and term.end <= start and (
                        term.direction in ("forward", "both") and t.end < term.start
                        or term.direction == "forward_adjacent"
                        # the comma of a list ends a scope, except of what was only discussed
                        # ("after discussing observation, nailing and plating")
                        or term.direction == "enumeration" and t.category != "PLANNED"
                        and t.end < term.start)
                    for term in terms):
                dist = start - t.end
        elif t.start >= end and t.direction in ("backward", "bidirectional"):
            limit = max(sent_start, t.start - t.max_scope) if t.max_scope else sent_start
            if end > limit and not any(end <= term.start and term.end < t.start
                                       and term.direction in ("backward", "both")
                                       for term in terms):
                dist = t.start - end
        if dist is not None:
            key = (PRIORITY.get(t.category, 9), dist)
            if best is None or key < best[:2]:
                best = (key[0], key[1], Hit(t.category, t.start, t.end))
    return best[2] if best else None


class TriggerIndex:
    """Modifiers and terminators of one Doc, sorted, so each lookup sees one sentence only."""

    def __init__(self, triggers: list[Trigger]) -> None:
        mods, terms = prepare(triggers)
        self.mods = sorted(mods, key=lambda t: t.start)
        self.terms = sorted(terms, key=lambda t: t.start)
        self._mod_starts = [t.start for t in self.mods]
        self._term_starts = [t.start for t in self.terms]

    def status(self, start: int, end: int, sent_start: int, sent_end: int) -> Hit | None:
        m0, m1 = (bisect_left(self._mod_starts, sent_start),
                  bisect_left(self._mod_starts, sent_end))
        t0, t1 = (bisect_left(self._term_starts, sent_start),
                  bisect_left(self._term_starts, sent_end))
        return status_of(start, end, sent_start, sent_end, self.mods[m0:m1], self.terms[t0:t1])
