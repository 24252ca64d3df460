"""Reading the count of a device mention from the tokens around it.

Works on a `Tokens` view (lower-cased strings and character offsets) so it can be tested on
plain token lists and stays cheap inside the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_INT = re.compile(r"^\d{1,3}$")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
INDETERMINATE = {"multiple", "several", "various", "numerous", "some", "few", "many"}
_DECIMAL = re.compile(r"^\d*\.\d+$")
_MULTIPLIERS = frozenset({"each", "either", "per"})
# adjectives that modify a device noun: cortical, locking, cannulated, cancellous, titanium
_MODIFIER = re.compile(r"^[a-z]+(?:al|ing|ed|ous|ic|ar|um|less)$")


@dataclass
class Tokens:
    """A light view of a Doc: lower-cased token strings, offsets and sentence bounds."""

    lower: list[str]
    idx: list[int]
    length: list[int]
    sent_start: list[int]  # per token: index of its sentence's first token
    sent_end: list[int]    # per token: index one past its sentence's last token
    line_start: list[bool] = field(default_factory=list)  # token begins a line

    def span(self, i: int, j: int) -> tuple[int, int]:
        return (self.idx[i], self.idx[j - 1] + self.length[j - 1])


@dataclass
class CountResult:
    count: int | None = None
    definite: bool = False       # "the plate", "these screws": refers back, introduces nothing
    total: bool = False          # "a total of 7 screws"
    indeterminate: bool = False  # "multiple screws", "several pins": a number was not given
    restated: bool = False       # "all eight screws": a total only if nothing is counted after
    article: bool = False        # the count is "a"/"an"/"one"/"single" before a singular
    another: bool = False        # "another", "a second", "an additional"
    evidence: list[tuple[int, int]] = field(default_factory=list)


class CountReader:
    """Count rules; word lists come from rules/devices.yaml."""

    def __init__(self, words: dict[str, Any]) -> None:
        self.numbers: dict[str, int] = {k: int(v) for k, v in words["number_words"].items()}
        self.one = set(words["one_words"])
        self.definite = set(words["definite_words"])
        self.units = set(words["size_units"])
        self.stop = set(words["modifier_stop"])
        self.ellipsis = set(words["ellipsis_followers"])
        self.bilateral = set(words["bilateral_words"])
        self.level = re.compile(words["spine_level_regex"])
        self._values: dict[str, int | None] = {}
        self._others: frozenset[int] = frozenset()
        self._covered: frozenset[int] = frozenset()

    def value(self, toks: Tokens, i: int) -> int | None:
        """Integer value of token i if it is a count word or a small integer numeral."""
        w = toks.lower[i]
        if w in self._values:
            return self._values[w]
        v = self.numbers.get(w)
        if v is None and _INT.match(w):
            n = int(w)
            v = n if 0 < n <= 60 else None
        if len(self._values) < 100_000:  # words repeat across reports: remember them
            self._values[w] = v
        return v

    def is_size(self, toks: Tokens, i: int) -> bool:
        """A number followed by a unit, '-hole', 'x' or preceded by 'x' is a size, not a count."""
        n = len(toks.lower)
        nxt = toks.lower[i + 1] if i + 1 < n else ""
        nxt2 = toks.lower[i + 2] if i + 2 < n else ""
        prev = toks.lower[i - 1] if i > 0 else ""
        if nxt in self.units or (nxt == "-" and nxt2 in self.units):
            return True
        if nxt in ("-", "/") and (_INT.match(nxt2) or _DECIMAL.match(nxt2)):
            return True  # a size or range: "36-42 mm", "#7-0", "4.5/5.0"
        if nxt in ("x", "×", "by") and not toks.line_start[i] and prev not in ("(",):
            # "1 x 4.5 mm plate" and "2 x 40 mm screws" count; "10 x 380 mm nail" is a size
            dim = toks.lower[i + 2] if i + 2 < n else ""
            small = _INT.match(toks.lower[i]) is not None and int(toks.lower[i]) <= 6
            if small and (_DECIMAL.match(dim) or (_INT.match(dim) and int(dim) >= 10)):
                return False
            return True
        before = toks.lower[i - 2] if i > 1 else ""
        numeric_before = bool(_NUMBER.match(before))
        if prev in ("x", "×", "by", "-", "/"):
            # "6.5 x 40", "36-42", "7/8" are sizes; "screws x 3" and "(SS) - 1" are counts
            return numeric_before
        if prev in ("no", "no.", "size", "number", "level", "lot", "ref", "cat", "catalog",
                    "catalogue", "#"):
            return prev != "#" or toks.lower[i + 1:i + 2] == ["-"]
        return False

    def read(self, toks: Tokens, start: int, end: int, plural: bool, log: bool = False,
             others: frozenset[int] = frozenset(), covered: frozenset[int] = frozenset()
             ) -> CountResult:
        """Count for the device mention at tokens [start, end).

        `log`: the mention is an implant-log row; `others`: start tokens of other device
        mentions, where a right-hand quantity stops belonging to this one.
        """
        res = CountResult()
        self._others = others  # another device's words end a count phrase ("1 DHS, 4 screws")
        self._covered = covered
        s0 = toks.sent_start[start]
        s1 = toks.sent_end[start]
        # a quantity after the device belongs to it only up to the next ';' or device
        s1 = next((j for j in range(end, s1) if toks.lower[j] == ";" or j in others), s1)
        if log:
            # a summary row restates the log: "Implant totals: 1 DHS, 4 cortical screws"
            line = start
            while line > 0 and not toks.line_start[line]:
                line -= 1
            summary = any(w in ("total", "totals") for w in toks.lower[line:s1])
            self._right(toks, end, s1, res)  # an explicit "Qty 1", "x2", "(3)", "| 4 |"
            if res.count is not None:
                self._multiply(toks, start, end, s0, s1, plural, res)
                res.total = res.total or summary
                return res
        found = self._left(toks, start, s0, plural, res)
        if log and not res.evidence and not res.definite:
            # an implant-log row states its quantity after the item: "Qty 1", "x2", ", 6",
            # "- 3 nos.", a table column; sizes, catalogue and lot numbers are skipped
            res.count, res.article = None, False
            self._log_quantity(toks, end, s1, res)
            if res.count is not None:
                self._multiply(toks, start, end, s0, s1, plural, res)
                res.total = res.total or summary
                return res
        if log and res.count is not None:
            res.total = res.total or summary
        if end < s1 and toks.lower[end] == "total" or toks.lower[end:end + 2] in (
                ["in", "total"], ["in", "all"]):
            res.total = res.count is not None
        if plural and res.count is None and toks.lower[end:end + 2] in (
                ["(", w] for w in INDETERMINATE):
            res.indeterminate = True  # "screws (multiple)"
        if not found and not log:  # (a log row's right side was read above)
            # outside a log row, "screws x3" or "screw (n=3)" follows the device closely
            self._right(toks, end, min(s1, end + 4), res)
        if log and res.count is None:
            self._trailing(toks, end, s1, res)
        if res.count is None and self._quantity_elsewhere(toks, end, s1):
            res.indeterminate = True  # "Qty: per implant record": the note gives no number
        if res.count is not None and not res.definite:
            self._ellipsis(toks, end, s1, res)
        self._multiply(toks, start, end, s0, s1, plural, res)
        return res

    @staticmethod
    def _quantity_elsewhere(toks: Tokens, end: int, s1: int) -> bool:
        """"Screw, locking, 5.0 mm: Qty: per implant record", "qty see nursing record"."""
        for j in range(end, min(s1, end + 12)):
            if toks.lower[j] in ("qty", "quantity", "qté", "qte", "qty:", "number"):
                after = [w for w in toks.lower[j + 1:j + 4] if w not in (":", "-", "=")]
                return bool(after) and after[0] in ("per", "see", "as", "unknown", "not", "n/a",
                                                    "refer", "recorded", "on", "in")
        return False

    def _left(self, toks: Tokens, start: int, s0: int, plural: bool, res: CountResult) -> bool:
        i = start - 1
        steps = 0
        while i >= s0 and steps < 8:
            w = toks.lower[i]
            v = self.value(toks, i)
            before = toks.lower[i - 1] if i - 1 >= s0 else ""
            if v is not None and w.isdigit() and (before in self.one or before in self.numbers):
                # "a 45 cortical screw", "two 45 K-wires": the digits are a dictated size
                i -= 1
                steps += 1
                continue
            if v is not None and not self.is_size(toks, i):
                if w in ("one", "1") and plural and i + 1 < start and toks.lower[i + 1] == "of":
                    return False  # "one of the screws"
                if before in ("the", "these", "those", "both", "its", "their", "our"):
                    res.definite = True
                    return True
                res.count = v
                res.evidence.append(toks.span(i, i + 1))
                if (before == "of" and i - 2 >= s0 and toks.lower[i - 2] == "total") \
                        or before == "total":
                    res.total = True
                elif before == "all":
                    res.total = res.restated = True
                self._left_more(toks, i, s0, res)
                return True
            if w in ("a", "an", "one") and plural and i + 1 < start \
                    and _NUMBER.match(toks.lower[i + 1]):
                # "a 35 mm and a 40 mm, anterior and posterior respectively, screws"
                res.count = 1
                res.evidence.append(toks.span(i, i + 1))
                self._article_pair(toks, i, s0, res)
                if res.count > 1:
                    return True
                res.count, res.evidence = None, []
                return False
            if w in self.one and not plural:
                res.count = 1
                res.article = True
                nxt = toks.lower[i + 1] if i + 1 < start else ""
                res.another = w in ("another", "additional", "further", "separate", "second",
                                    "third") or nxt in ("second", "third", "additional",
                                                        "another", "further", "separate")
                res.evidence.append(toks.span(i, i + 1))
                self._article_pair(toks, i, s0, res)
                return True
            if w in self.definite:
                res.definite = True
                return True
            if plural and w in INDETERMINATE:
                res.indeterminate = True
                return True
            if w == "pair" or w == "couple":
                res.count = 2
                res.evidence.append(toks.span(i, i + 1))
                return True
            if w == "," and i - 1 >= s0 and _NUMBER.match(toks.lower[i - 1]) \
                    and i + 1 < start and _NUMBER.match(toks.lower[i + 1]):
                i -= 1  # a list of sizes: "a 6.5, 60 mm screw"
                steps += 1
                continue
            if w == ")" and not (i - 2 >= s0 and toks.lower[i - 2] == "("
                                 and self.value(toks, i - 1) is not None):
                return False  # "PFLP (x1) / screws": the bracket belongs to the item before
            if w == "," and i - 1 >= s0 and toks.lower[i - 1] == "respectively":
                # skip the aside ", anterior and posterior respectively," back to its comma
                k = i - 2
                while k >= s0 and k > i - 10 and toks.lower[k] != ",":
                    k -= 1
                if k >= s0 and toks.lower[k] == ",":
                    i = k - 1
                    steps += 1
                    continue
            if w in ("and", "or") and i - 1 >= s0 and i + 1 < start \
                    and _MODIFIER.match(toks.lower[i - 1]) and _MODIFIER.match(toks.lower[i + 1]) \
                    and i - 1 not in self._covered:
                i -= 1  # "five cortical and locking screws": two modifiers of one noun
                steps += 1
                continue
            if w in self.stop or (not w[:1].isalnum() and w not in ("-", ".", "/", "(", ")", "#")):
                return False
            if i in self._covered:
                return False  # another device's name: its count is not this one's
            i -= 1
            # sizes do not use up the walk: "two 16 mm 3.5 mm cortical fully-threaded screws"
            steps += not (w in self.units or w in ("-", ".") or _NUMBER.match(w))
        return False

    def _article_pair(self, toks: Tokens, i: int, s0: int, res: CountResult) -> None:
        """"a 16-mm and an 18-mm screw": two devices named by size."""
        j = i - 1
        if j < s0 or toks.lower[j] not in ("and", ",", "&", "plus"):
            return
        k = j - 1
        while k >= s0 and k > j - 5:
            w = toks.lower[k]
            if w in ("a", "an", "one"):
                res.count = (res.count or 0) + 1
                res.article = False
                res.evidence.append(toks.span(k, k + 1))
                return
            if not (w in self.units or w in ("-", ".") or _INT.match(w) or _DECIMAL.match(w)):
                return
            k -= 1

    def _left_more(self, toks: Tokens, i: int, s0: int, res: CountResult) -> None:
        """"two cortical and one cancellous screw": add counts joined by 'and' / ','."""
        j = i - 1
        while j >= s0 and toks.lower[j] in ("and", ",", "plus", "&"):
            k = j - 1
            steps = 0
            while k >= s0 and steps < 2 and not toks.lower[k].endswith("ly") \
                    and k not in self._others \
                    and toks.lower[k] not in ("hole", "holes", "screw", "screws", "plate", "pin"):
                v = self.value(toks, k)
                if v is not None and not self.is_size(toks, k):
                    res.count = (res.count or 0) + v
                    res.evidence.append(toks.span(k, k + 1))
                    j = k - 1
                    break
                if toks.lower[k] in self.stop or not toks.lower[k][:1].isalnum():
                    return
                k -= 1
                steps += 1
            else:
                return
            if steps >= 2 or (k >= s0 and not toks.lower[k][:1].isalnum()):
                return

    def _right(self, toks: Tokens, end: int, s1: int, res: CountResult) -> None:
        """"screws x3", "screw (n=3)", "QTY: 2", "| 2 |", ", 2 per side" after the device."""
        j = end
        limit = s1
        while j < limit:
            w = toks.lower[j]
            after = toks.lower[j + 2:min(j + 4, len(toks.lower))]
            if w == "," and (after in (["in", "total"], ["in", "all"]) or after[:1] == ["total"]):
                v = self.value(toks, j + 1)
                if v is not None:  # "and screws, eight in total"
                    res.count, res.total = v, True
                    res.evidence.append(toks.span(j + 1, j + 2))
                    return
            if w == "," and j + 2 < limit and toks.lower[j + 2] in ("per", "each", "a"):
                v = self.value(toks, j + 1)
                if v is not None:
                    res.count = v
                    res.evidence.append(toks.span(j + 1, j + 2))
                    return
            nxt = toks.lower[j + 1] if j + 1 < limit else ""
            if nxt in ("x", "×") and (j == end or toks.lower[j - 1] in (",", ";", "|", "(", ":")) \
                    and (j + 2 >= limit or toks.lower[j + 2] in (";", ",", "|", ")", ".")
                         or not toks.lower[j + 2].strip()):
                v = self.value(toks, j)
                if v is not None:  # "cortical screw 3.5 mm, 5x;"
                    res.count = v
                    res.evidence.append(toks.span(j, j + 2))
                    return
            if w in ("x", "×") and j > end and _NUMBER.match(toks.lower[j - 1]):
                j += 1  # "3.5 x 30": a size, not "x 30"
                continue
            if w in ("x", "×", "#", "qty", "quantity", "qty:", "count", "n", "no.", "units",
                     "number", "qté", "qte", "quantité", "times"):  # "screws times three"
                k = j + 1
                while k < limit and toks.lower[k] in (":", "=", ".", "-", "of"):
                    k += 1
                if k < limit:
                    v = self.value(toks, k)
                    unit_after = k + 1 < limit and (toks.lower[k + 1] in self.units
                                                    or toks.lower[k + 1] == "-")
                    if v is not None and not unit_after:
                        res.count = v
                        res.evidence.append(toks.span(j, k + 1))
                        return
            if w in ("(", "|") and nxt:
                v = self.value(toks, j + 1)
                close = toks.lower[j + 2] if j + 2 < limit else ""
                if v is not None and close in ("x", "×") and not self.is_size(toks, j + 1):
                    res.count = v  # "K-wire fixation (2 x 1.6 mm)": two wires of 1.6 mm
                    res.evidence.append(toks.span(j + 1, j + 2))
                    return
                if v is not None and (close in (")", "|", "") or j + 2 >= limit):
                    res.count = v
                    res.evidence.append(toks.span(j + 1, j + 2))
                    return
            j += 1

    def _log_quantity(self, toks: Tokens, end: int, s1: int, res: CountResult) -> None:
        for j in range(end, s1):
            if toks.lower[j] in ("and", "with", "plus", "&"):
                return  # the next item of a run-on list
            v = self.value(toks, j)
            if v is not None and not self.is_size(toks, j) \
                    and not _DECIMAL.match(toks.lower[j - 1] if j else ""):
                res.count = v
                res.evidence.append(toks.span(j, j + 1))
                return

    def _trailing(self, toks: Tokens, end: int, s1: int, res: CountResult) -> None:
        """Implant-log row ending in a quantity column: "... 02.224.075  7702215  2"."""
        j = s1 - 1
        while j >= end and toks.lower[j] in (".", ")", ";", ",", "|", "\n", "ea", "each"):
            j -= 1
        if j <= end:
            return
        v = self.value(toks, j)
        prev = toks.lower[j - 1]
        if v is not None and prev not in self.units and prev not in ("x", "×", "#", "-", "/") \
                and not _DECIMAL.match(prev) and prev != ",":
            res.count = v
            res.evidence.append(toks.span(j, j + 1))
        elif v is not None and prev == ",":
            res.count = v  # "5.0 mm locking screws, 3."
            res.evidence.append(toks.span(j, j + 1))

    def _ellipsis(self, toks: Tokens, end: int, s1: int, res: CountResult) -> None:
        """"three screws proximally and four distally" -> 7; but "five screws, three above and
        two below" is 5: parts that add up to the count, or in brackets, are a breakdown."""
        parts: list[tuple[int, int]] = []
        j = end
        s1 = min(s1, end + 30)  # the parts follow closely ("... and four distally")
        while j < s1 - 1:
            w = toks.lower[j]
            if w in ("and", ",", "plus", "with", "+", "&", "(") and j + 2 <= s1:
                k = j + 1
                v = self.value(toks, k) if k < s1 else None
                if v is not None and not self.is_size(toks, k) and k + 1 < s1 \
                        and toks.lower[k + 1] in self.ellipsis \
                        and "each" not in toks.lower[k + 1:k + 4]:
                    parts.append((k, v))
                    j = k + 1
                    continue
            if w in ("was", "were", ".", ";") and j > end + 6:
                break
            j += 1
        if len(parts) >= 2 and sum(v for _, v in parts) == res.count:
            return
        if any(toks.lower[k - 1] == "(" for k, _ in parts):
            return  # "six screws (three medial, ...)": a bracket explains, it does not add
        for k, v in parts:
            res.count = (res.count or 0) + v
            res.evidence.append(toks.span(k, k + 1))

    def _multiply(self, toks: Tokens, start: int, end: int, s0: int, s1: int, plural: bool,
                  res: CountResult) -> None:
        """Per-level and per-side counts: "screws bilaterally at L4, L5 and S1" -> 6."""
        if res.definite or res.total:
            return
        sent = toks.lower[s0:s1]
        words = set(sent)
        if words.isdisjoint(_MULTIPLIERS) and words.isdisjoint(self.bilateral) \
                and "sides" not in words:
            return  # (most sentences: nothing here can multiply a count)
        levels = {w.upper() for w in sent
                  if 1 < len(w) < 4 and w[0] in "ctls" and self.level.match(w.upper())}
        # "each of (the) three levels", "at each of C3, C4 and C5"
        factor = 1
        for i, w in enumerate(sent):
            if w == "each" and s0 + i > end and any(
                    self.value(toks, j) is not None
                    and not any(a <= toks.idx[j] < b for a, b in res.evidence)
                    for j in range(end, s0 + i)):
                continue  # "(n=4), two at each end": a breakdown, not a multiplier
            if w == "either" and s0 + i >= end and sent[i + 1:i + 2] in (["side"], ["end"]) \
                    and not any(self.value(toks, j) is not None for j in range(end, s0 + i)):
                factor = 2  # "three screws either side of the fracture"; not "#6 (3 either side)"
                continue
            if w == "per" and i + 1 < len(sent) and sent[i + 1] in ("side", "limb", "leg", "femur",
                                                                    "hip", "neck"):
                factor = 2  # "2 per side": both sides were done
                continue
            if w == "each" and s0 + i > end and res.count == 1 and (
                    i + 1 == len(sent) or sent[i + 1] in ("hole", ".", ",", ";", "and")):
                # "the three most proximal holes were drilled ... a screw was placed in each"
                factor = self._holes_named(toks, s0, start) or factor
                continue
            if w == "each" and i + 1 < len(sent):
                rest = sent[i + 1 : i + 4]
                num = next((self.numbers.get(x) or (int(x) if _INT.match(x) else None)
                            for x in rest if x in self.numbers or _INT.match(x)), None)
                if num:
                    factor = num
                elif rest and rest[0] in ("side", "end") or rest[:2] in (["of", "the"],) \
                        and "side" in rest:
                    factor = 2
                elif levels and ("level" in rest or "levels" in rest or "of" in rest
                                 or "vertebral" in rest or "side" in rest):
                    factor = len(levels) if "side" not in rest else 2
        sides = 2 if any(w in self.bilateral for w in sent) or "both sides" in " ".join(sent) \
            else 1
        if res.count is not None and factor > 1:
            res.count *= factor
            if sides == 2 and "side" not in " ".join(sent):
                res.count *= 2
        elif res.count is None and plural and levels and len(levels) >= 1 and sides == 2:
            mentions_levels_after = any(self.level.match(w.upper()) for w in toks.lower[end:s1])
            levels_before = any(self.level.match(w.upper()) for w in toks.lower[s0:start])
            if mentions_levels_after or levels_before:
                res.count = 2 * len(levels)
                res.evidence.extend(toks.span(j, j + 1) for j in range(s0, s1)
                                    if self.level.match(toks.lower[j].upper()))

    def _holes_named(self, toks: Tokens, s0: int, start: int) -> int | None:
        """The number in "the three most proximal holes" before a device placed "in each"."""
        for k in range(start - 1, s0 - 1, -1):
            if toks.lower[k] != "holes":
                continue
            for j in range(k - 1, max(s0, k - 4) - 1, -1):
                v = self.value(toks, j)
                if v is not None and (j + 1 == k or not self.is_size(toks, j)):
                    return v  # "four holes" (a size elsewhere: "a 4-hole plate") counts here
        return None
