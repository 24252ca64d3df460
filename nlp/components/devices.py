"""opnote_devices: every fixation device mention with its status, count, bone, region and side.

Reads the entity spans (`doc.spans["opnote"]`) and ConText triggers (`doc.spans["context"]`)
written by the two span rulers, and stores plain dicts on `doc._.opnote_devices` and
`doc._.opnote_generic`. Aggregation into one device per type and bone happens in extract.py.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import extensions  # noqa: F401
from ..context import TriggerIndex
from ..counting import CountReader, Tokens
from ..resources import read_yaml
from ..segment import section_at, table_quantities
from ..spans import (
    SideFilter,
    WordLists,
    by_sentence,
    doc_text,
    longest_first,
    not_inside,
    span_tuples,
    token_view,
    trigger_index,
)

_WORD = re.compile(r"[a-z]+")
_PREPOSITIONS = frozenset({"in", "into", "through", "for", "with", "to", "of", "onto"})
_HOLD = frozenset({"hold", "held", "holding", "holds"})
_LOG_WORDS = frozenset({"hardware", "implants", "implant"})
_LIST_MARK = re.compile(r"^(?:\d{1,2}|[a-z])[.)]?$")
CATEGORY_STATUS = {
    "NEGATED": "negated", "PLANNED": "planned", "REMOVED": "removed",
    "HISTORICAL": "historical", "PROVISIONAL": "provisional",
}
FAMILIES = {
    "DEVICE": "device", "NONDEVICE": "device", "GENERIC": "device",
    "BONE": "bone", "NONBONE": "bone",
}


class DeviceMentions(WordLists):
    def __init__(self, spans_key: str, context_key: str, words: dict[str, Any]) -> None:
        self.spans_key = spans_key
        self.context_key = context_key
        self.configure(words)

    def configure(self, words: dict[str, Any]) -> None:
        super().configure(words)
        self.counts = CountReader(words)
        self.problem = set(words["problem_nouns"])
        self.process = set(words["process_nouns"])
        self.pseudo_verbs = set(words["pseudo_verbs"])
        self.is_side = SideFilter(words)
        self.skin_words = set(words["skin_closure_words"])
        self.guide_preps = set(words["guide_prepositions"])
        self.staple_context = set(words["bone_staple_context"])
        self.placement_verbs = set(words["placement_verbs"])
        self.traction_words = set(words["traction_words"])
        self.future_cues = set(words["future_removal_cues"])
        self.punctuation: dict[str, str] = dict(words["punctuation_terminators"])
        self.removal_heads = {w.lower() for w in words["removal_heads"]}
        self.new_procedure = set(words["new_procedure_words"])
        self.default_status: dict[str, str] = dict(words["default_status"])
        self.midline = set(words["midline_bones"])
        self.specific_regions = set(words["specific_regions"])
        self.fixation_targets = set(words["fixation_targets"])
        self.continuing = set(words["continuing_pronouns"])
        self.distributive = set(words["distributive_words"])
        self.correction_words = set(words["correction_words"])
        self.row_removal = set(words["log_row_removal"])

    # -- main --------------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        toks = token_view(doc, text)
        sections = doc._.opnote_sections or [[0, 0, len(text), "description"]]
        raw = span_tuples(doc, self.spans_key)
        device_family = longest_first([s for s in raw if FAMILIES.get(s[2]) == "device"])
        bone_family = longest_first([s for s in raw if FAMILIES.get(s[2]) == "bone"])
        named = [s for s in device_family if s[2] == "DEVICE"]
        bones = not_inside([s for s in bone_family if s[2] == "BONE"],
                           named)  # not "hip" in "dynamic hip screw"
        regions = [s for s in raw if s[2] == "REGION"]
        sides = [s for s in raw if s[2] == "SIDE" and self.is_side(toks, s)]
        index = trigger_index(doc, self.context_key, self.punctuation)
        bones_by, regions_by, sides_by = (by_sentence(toks, spans)
                                          for spans in (bones, regions, sides))

        table = table_quantities(text)
        merged = self._restatements(toks, [s for s in device_family if s[2] == "DEVICE"])
        starts = frozenset(s[0] for s in device_family if s[2] == "DEVICE" and s[0] not in merged)
        # "locking screws for the femoral nail (4)", "guide wires for the calcaneal screws":
        # the second device only describes the first
        ends = {s[1] for s in device_family}
        described = frozenset(
            b for b in starts
            if any(toks.lower[j] == "for" and j in ends for j in range(max(b - 3, 1), b)))
        starts = starts - described
        type_at = {s[0]: s[3] for s in device_family if s[2] == "DEVICE"}
        nondevice_at = {s[0] for s in device_family if s[2] == "NONDEVICE"}
        covered = frozenset(i for s in device_family if s[2] == "DEVICE"
                            for i in range(s[0], s[1]))
        devices: list[dict[str, Any]] = []
        generic: list[dict[str, Any]] = []
        # with an external fixator in the report, plain "pins" are its pins
        exfix = any(s[2] == "NONDEVICE" and s[3] == "exfix" for s in device_family)
        word_sets: dict[int, frozenset[str]] = {}
        # addenda that say they correct the report ("the count above is corrected to seven")
        corrections = {sec[0] for sec in sections if sec[3] == "addendum" and not
                       self.correction_words.isdisjoint(_WORD.findall(text[sec[1]:sec[2]].lower()))}
        labels = {b[0]: b for b in bones
                  if b[1] < len(toks.lower) and toks.lower[b[1]] in (":", "-")}

        def sent_words(s0: int) -> frozenset[str]:
            if s0 not in word_sets:
                word_sets[s0] = frozenset(toks.lower[s0:toks.sent_end[s0]])
            return word_sets[s0]

        for start, end, label, kid in device_family:
            if label == "NONDEVICE":
                continue
            if exfix and kid == "pin" and toks.lower[start:end] in (["pin"], ["pins"]):
                continue
            if start in merged:
                continue  # "LCP proximal femoral plate", "DHS lag screw": one device
            nxt = toks.lower[end] if end < len(toks.lower) else ""
            if nxt in self.problem or (nxt == "-" and end + 1 < len(toks.lower)
                                       and toks.lower[end + 1] in self.problem):
                continue
            char = toks.idx[start]
            section = section_at(sections, char)
            if char < section[1]:
                continue  # the heading word itself ("IMPLANTS:", "Hardware:")
            words = sent_words(toks.sent_start[start])
            if section[3] not in ("implants", "explants") and not _LOG_WORDS.isdisjoint(words) \
                    and self._log_sentence(toks, start):
                section = (section[0], section[1], section[2], "implants")
            if label == "DEVICE" and self._not_a_device(
                    toks, start, end, kid, section[3] in ("implants", "explants")):
                continue
            if start in described:
                continue
            status, trigger = self._status(toks, start, end, index, section[3], kid)
            if section[3] == "implants" and status == "applied":
                # an implant table's action column: "... Screw  Left  2  Removed - same case"
                j = end
                while j < len(toks.lower) and not toks.line_start[j]:
                    j += 1
                row = toks.lower[end:j]
                gone = next((k for k, w in enumerate(row) if w in self.row_removal), None)
                if gone is not None and self.placement_verbs.isdisjoint(row) \
                        and "implanted" not in row:
                    status, trigger = "removed", (end + gone, end + gone + 1)
            mention: dict[str, Any] = {
                "start": start, "end": end, "span": list(toks.span(start, end)),
                "section": section[3], "status": status,
                "trigger": list(toks.span(trigger[0], trigger[1])) if trigger else None,
                "sent": toks.sent_start[start],
            }
            if label == "GENERIC":
                mention["stated_done"] = not self.placement_verbs.isdisjoint(words)
                generic.append(mention)
                continue
            word = toks.lower[end - 1]
            plural = word.endswith("s") and not word.endswith(("ss", "us", "is")) \
                and word not in ("lcps", "dhs", "chs", "shs", "ccs", "tens", "imns")
            plural = plural or word in ("lcps", "imns")
            # "pedicle screw plate": a device word before another type's noun names the
            # construct; "LISS plate" is one plate
            other_type = type_at.get(end) not in (None, kid) and end not in merged
            if section[3] == "implants" and (
                    self._names_another(toks, end, kid, type_at, merged, nondevice_at)
                    or (start > 0 and toks.lower[start - 1] in _PREPOSITIONS)):
                # a log row's item is its head: "InterTAN compression screw - 1", "TEN end cap",
                # "set screw - preloaded in nail" name no nail of their own
                continue
            process = nxt in self.process or other_type or word.endswith("ing") \
                or word in ("plated",)
            s1 = toks.sent_end[start]
            mention["stated_done"] = not self.placement_verbs.isdisjoint(words)
            # for site linking across sentences (nlp/extract.py): what the sentence fixes
            # ("the osteotomy"), and whether the next one goes on with "It was placed on..."
            mention["targets"] = sorted(self.fixation_targets.intersection(words))
            mention["next_sent"] = s1 if s1 < len(toks.lower) and \
                toks.lower[s1] in self.continuing else None
            mention["distributive"] = not self.distributive.isdisjoint(words)
            mention["correction"] = section[0] in corrections
            mention["article"], mention["another"] = False, False
            mention["indeterminate"] = False
            if process:
                # "screw fixation" names the technique: only an explicit quantity right after
                # it counts ("K-wire fixation (2 x 1.6 mm)")
                count, definite, total = None, False, False
                count_ev: list[list[int]] = []
                cr = self.counts.read(toks, start, end, plural, others=starts)
                if cr.count is not None and cr.evidence and cr.evidence[0][0] > toks.idx[start]:
                    count, count_ev = cr.count, [list(e) for e in cr.evidence]
            else:
                cr = self.counts.read(toks, start, end, plural, log=section[3] == "implants",
                                      others=starts, covered=covered.difference(
                                          range(start, end)))
                count, definite, total = cr.count, cr.definite, cr.total
                mention["indeterminate"] = cr.indeterminate
                mention["restated"] = cr.restated
                mention["article"], mention["another"] = cr.article, cr.another
                if count is None and not plural and not definite and not cr.indeterminate:
                    count = 1  # a bare singular ("titanium plate") is one
                count_ev = [list(e) for e in cr.evidence]
                row = table.get(text.rfind("\n", 0, toks.idx[start]) + 1)
                if row is not None:
                    mention["section"] = "implants"  # a row of an implant table
                    if row[0] is not None:
                        count, count_ev, definite = row[0], [[row[1], row[2]]], False
                    elif not cr.evidence:  # "see count sheet": no number in the row
                        count, count_ev, definite = None, [], False
                        mention["indeterminate"] = True
            sent = toks.sent_start[start]
            candidates = bones_by.get(sent, [])
            if mention["section"] == "implants":
                # a log row's bone is its own: "LCP proximal tibia 9-hole 1; cortical screws 9"
                candidates = [b for b in candidates if not any(
                    toks.lower[j] in (";", "|") for j in range(min(b[1], start), max(b[0], end)))]
            bone = self._nearest(toks, start, end, candidates) \
                or (self._line_label(toks, start, labels) if labels else None)
            region = self._region(toks, bone, start, end, regions_by.get(sent, []))
            side = (self._nearest(toks, bone[0], bone[1], sides_by.get(sent, []), max_dist=5)
                    if bone else None)
            mention.update({
                "type": kid,
                "side_plate": kid == "plate" and not {"side", "barrel"}.isdisjoint(
                    toks.lower[max(0, start - 1):end]),
                "count": count, "definite": definite, "total": total,
                "plural": plural, "process": process, "count_evidence": count_ev,
                "bone": bone[3] if bone else None,
                "bone_span": list(toks.span(bone[0], bone[1])) if bone else None,
                "region": region[3] if region else None,
                "region_span": list(toks.span(region[0], region[1])) if region else None,
                "side": side[3] if side else None,
                "side_span": list(toks.span(side[0], side[1])) if side else None,
            })
            devices.append(mention)
        devices.extend(self._in_number(toks, devices))
        self._taken_out_later(toks, devices, index, device_family)
        devices = self._guide_references(toks, devices, device_family)
        doc._.opnote_devices = devices
        doc._.opnote_generic = generic
        return doc

    @staticmethod
    def _names_another(toks: Tokens, end: int, kind: str, type_at: dict[int, str],
                       merged: set[int], nondevice_at: set[int]) -> bool:
        """A device word that modifies the next noun of its row: "InterTAN compression screw",
        "TEN end cap" (words, not numbers or punctuation, between them)."""
        for k in range(end, min(end + 3, toks.sent_end[end - 1])):
            if (type_at.get(k) not in (None, kind) and k not in merged) or k in nondevice_at:
                return True
            if not toks.lower[k].isalpha():
                return False
        return False

    @staticmethod
    def _guide_references(toks: Tokens, devices: list[dict[str, Any]],
                          spans: list[tuple[int, int, str, str]]) -> list[dict[str, Any]]:
        """"Three guide pins were inserted ... the inferior pin along the calcar": with no pin
        (or wire) introduced as a device, "the pin" is one of the guide pins."""
        heads = {toks.lower[s[1] - 1] for s in spans
                 if s[2] == "NONDEVICE" and s[3] == "instrument"}
        drop = set()
        for kind in ("pin", "wire"):
            ms = [m for m in devices if m["type"] == kind]
            if ms and all(m["definite"] for m in ms) and any(h.startswith(kind) for h in heads):
                drop.update(id(m) for m in ms)
        return [m for m in devices if id(m) not in drop] if drop else devices

    def _taken_out_later(self, toks: Tokens, devices: list[dict[str, Any]],
                         index: TriggerIndex, spans: list[tuple[int, int, str, str]]) -> None:
        """"A 2 mm K-wire held the fragment. It was then exchanged for a screw.": a sentence (or
        a clause after ";") opening with a pronoun that removes or exchanges it, about the wire
        or pin that closes the sentence before (unless something else is named after it)."""
        for m in devices:
            if m["type"] not in ("wire", "pin") or m["status"] != "applied":
                continue
            s1 = toks.sent_end[m["start"]]
            # "...K-wires placed across the neck during curettage; both removed before closure"
            semi = next((j for j in range(m["end"], s1) if toks.lower[j] == ";"), None)
            if semi is not None and semi + 1 < s1 and toks.lower[semi + 1] in self.continuing | {
                    "both", "all"} and not any(m["end"] <= s[0] < semi for s in spans):
                clause, clause_end = semi + 1, s1
            elif s1 < len(toks.lower) and toks.lower[s1] in self.continuing and not any(
                    s[0] >= m["end"] and toks.sent_start[s[0]] == m["sent"] for s in spans):
                # (not "...the screw was placed over the wire and the guide": not the wire)
                clause, clause_end = s1, toks.sent_end[s1]
            else:
                continue
            after = index.status(clause, clause + 1, clause, clause_end)
            if after is None or after.category not in ("REMOVED", "PROVISIONAL"):
                continue
            if self._later(toks, after.end, after.end + 8):
                continue  # "it will be removed at 6 weeks in clinic"
            m["status"] = "removed" if m["definite"] else "provisional"
            m["trigger"] = list(toks.span(after.start, after.end))

    def _later(self, toks: Tokens, start: int, end: int) -> bool:
        """A removal said to happen later ("at 6 weeks in clinic", "~6-9 mo"): tokens [start,
        end) after the removal word hold a future cue."""
        return not self.future_cues.isdisjoint(toks.lower[start:end])

    def _in_number(self, toks: Tokens, devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """"They were placed, 4 in number": a count in a sentence naming no device belongs to
        the device named just before it."""
        out: list[dict[str, Any]] = []
        with_device = {m["sent"] for m in devices}
        for i in range(1, len(toks.lower) - 1):
            if toks.lower[i] != "in" or toks.lower[i + 1] != "number":
                continue
            value = self.counts.value(toks, i - 1)
            sent = toks.sent_start[i]
            if value is None or sent in with_device:
                continue
            before = [m for m in devices if m["start"] < sent and sent - m["start"] < 60]
            if not before:
                continue
            src = before[-1]
            out.append(dict(src, start=i - 1, end=i, span=list(toks.span(i - 1, i)),
                            count=value, definite=False, total=False, article=False,
                            another=False, indeterminate=False, process=False,
                            count_evidence=[list(toks.span(i - 1, i + 2))], sent=sent))
        return out

    @staticmethod
    def _log_sentence(toks: Tokens, start: int) -> bool:
        """An inline implant list: "Hardware consisted of ...", "Implants used: ...", also as
        the last clause of a sentence ("...; implants: two headless screws 3.0 mm")."""
        s0 = toks.sent_start[start]
        s0 = max([s0] + [j + 1 for j in range(s0, start) if toks.lower[j] == ";"])
        head = toks.lower[s0:s0 + 3]
        if bool(head) and head[0] in _LOG_WORDS and any(
                w in ("consisted", "consists", "used", "included", "includes", "implanted",
                      "placed", "utilized", ":") for w in head[1:]):
            return True
        # "..., and the implants recorded were two headless screws and one cortical screw"
        words = toks.lower[s0:start]
        return any(w in ("implants", "hardware") and words[k + 1:k + 3] in (
            ["recorded", "were"], ["used", "were"], ["implanted", "were"], ["recorded", ":"])
            for k, w in enumerate(words))

    def _restatements(self, toks: Tokens, spans: list[tuple[int, int, str, str]]) -> set[int]:
        """Starts of device spans that name the device just named again ("LCP proximal
        femoral plate", "DHS lag screw", "vis canulées x3 (cannulated screws)")."""
        merged: set[int] = set()
        previous: tuple[int, str] | None = None  # (end, type) of the device being named
        for start, end, _, kid in spans:
            if previous is not None and (previous[1] == kid or (
                    previous[1] == "sliding_hip_screw" and kid == "screw")) and (
                    self._same_phrase(toks, previous[0], start)
                    or self._gloss(toks, previous[0], start)
                    or self._same_table_row(toks, previous[0], start)):
                merged.add(start)
                previous = (end, previous[1])
            else:
                previous = (end, kid)
        return merged

    @staticmethod
    def _same_table_row(toks: Tokens, prev_end: int, start: int) -> bool:
        """"SCREW CORTICAL 4.5MM X 40MM      Screw   Right  2": the name and the type column of
        one row of a space-aligned table."""
        between = toks.lower[prev_end:start]
        return len(between) <= 8 \
            and not any(toks.line_start[j] for j in range(prev_end, start + 1)) \
            and any(len(w) >= 2 and not w.strip() for w in between) \
            and not any(w in (";", ",", "and", "+", "|") for w in between)

    @staticmethod
    def _gloss(toks: Tokens, prev_end: int, start: int) -> bool:
        """A bracketed gloss of the device just named: "vis canulées x3 (cannulated screws)"."""
        opened = "(" in toks.lower[max(prev_end, start - 3):start]
        return opened and start - prev_end <= 8 and \
            toks.sent_start[prev_end - 1] == toks.sent_start[start]

    @staticmethod
    def _same_phrase(toks: Tokens, prev_end: int, start: int) -> bool:
        """Only modifiers (no verb, preposition or comma) between two mentions of one type
        ("LCP one-third tubular plate"),
        or a restatement in brackets: "seven screws (vis)", "DHS (dynamic hip screw)"."""
        between = toks.lower[prev_end:start]
        if len(between) > 4 or toks.sent_start[prev_end - 1] != toks.sent_start[start]:
            return False
        if between in (["("], [","], ["/"], ["-"], ["(", "or"], ["or"]):
            return True
        return all((w.isalpha() or w.replace(".", "", 1).isdigit() or w == "-")
                   and w not in ("and", "or", "with", "of", "to", "into", "the", "a", "an",
                                 "was", "were", "then", "plus")
                   for w in between)

    def _not_a_device(self, toks: Tokens, start: int, end: int, kind: str, log: bool) -> bool:
        """Skin staples in a closure sentence; a wire or pin something is passed over."""
        s0, s1 = toks.sent_start[start], toks.sent_end[start]
        if kind == "staple" and "bone" not in toks.lower[start:end]:
            # staples are bone staples only in an implant log or with a bone or fixation
            # wording in the sentence
            words = toks.lower[s0:s1]
            if any(w in self.skin_words for w in words):
                return True
            return not log and not any(w in self.staple_context for w in words)
        if kind in ("wire", "pin"):
            # a pin for skeletal traction holds a bow, not bone: "Steinmann pin for traction"
            return any(w in self.guide_preps for w in toks.lower[max(s0, start - 5):start]) \
                or any(w in self.traction_words for w in toks.lower[s0:s1])
        return False

    def _removal_title(self, toks: Tokens, start: int) -> bool:
        """A title item headed "Removal of ..." that names no new procedure."""
        s0, s1 = toks.sent_start[start], toks.sent_end[start]
        head = [w for w in toks.lower[s0:min(s1, s0 + 6)] if w[:1].isalpha()]
        if not any(w in self.removal_heads for w in head[:4]):
            return False
        return not any(w in self.new_procedure for w in toks.lower[s0:s1])

    def _status(self, toks: Tokens, start: int, end: int, index: TriggerIndex,
                section: str, kind: str = "") -> tuple[str, tuple[int, int] | None]:
        s0, s1 = toks.sent_start[start], toks.sent_end[start]
        hit = index.status(start, end, s0, s1)
        if hit is not None and hit.category == "NEGATED":
            nxt = toks.lower[end] if end < len(toks.lower) else ""
            if nxt in self.pseudo_verbs:
                hit = None  # "no screws crossed the physis": the screws exist
        if hit is not None and hit.category == "PROVISIONAL" and kind not in ("wire", "pin") \
                and not _HOLD.isdisjoint(toks.lower[max(s0, start - 3):start]):
            hit = None  # "K-wires were passed to hold the plate temporarily": the wires were
        if hit is not None and hit.category == "REMOVED" and self._later(
                toks, hit.end, min(s1, hit.end + 12)):
            hit = None  # "wires removed at 6 weeks in clinic": left in place today
        if hit is not None and hit.category in CATEGORY_STATUS:
            return CATEGORY_STATUS[hit.category], (hit.start, hit.end)
        if section == "procedure" and self._removal_title(toks, start):
            s0 = toks.sent_start[start]
            return "removed", (s0, s0 + 1)
        if section == "findings" and not any(
                w in self.placement_verbs for w in toks.lower[s0:s1]):
            return "historical", None  # what was found: hardware already there
        return self.default_status.get(section, "applied"), None

    @staticmethod
    def _line_label(toks: Tokens, start: int, labels: dict[int, tuple[int, int, str, str]]
                    ) -> tuple[int, int, str, str] | None:
        """"Fibula: one-third tubular plate, 1x; cortical screw 3.5 mm, 5x": a bone labelling
        the line (bone, then a colon, at the line's start) sites every device on it.
        `labels`: bones followed by ":" or "-", by start token."""
        line = start
        while line > 0 and not toks.line_start[line]:
            line -= 1
        for k in range(line, min(line + 3, start)):
            b = labels.get(k)
            if b is not None and b[1] < start and all(
                    not w[:1].isalnum() or _LIST_MARK.match(w) for w in toks.lower[line:k]):
                return b
        return None

    @staticmethod
    def _nearest(toks: Tokens, start: int, end: int, spans: list[tuple[int, int, str, str]],
                 max_dist: int = 1000) -> tuple[int, int, str, str] | None:
        s0, s1 = toks.sent_start[start], toks.sent_end[start]
        best = None
        for s in spans:
            if s[0] < s0 or s[1] > s1:
                continue
            dist = 0 if (s[0] < end and start < s[1]) else (start - s[1] if s[1] <= start
                                                              else s[0] - end)
            if dist <= max_dist and (best is None or dist < best[0]):
                best = (dist, s)
        return best[1] if best else None

    def _region(self, toks: Tokens, bone: tuple[int, int, str, str] | None, start: int, end: int,
                regions: list[tuple[int, int, str, str]]) -> tuple[int, int, str, str] | None:
        anchor = bone or (start, end, "", "")
        s0, s1 = toks.sent_start[start], toks.sent_end[start]
        near = []
        for r in regions:
            if r[0] < s0 or r[1] > s1:
                continue
            dist = 0 if (r[0] < anchor[1] and anchor[0] < r[1]) else (
                anchor[0] - r[1] if r[1] <= anchor[0] else r[0] - anchor[1])
            if dist <= 4:
                near.append((r[3] not in self.specific_regions, dist, r))
        if not near:
            return None
        return min(near)[2]


@Language.factory(
    "opnote_devices",
    assigns=["doc._.opnote_devices", "doc._.opnote_generic"],
    requires=["doc.spans", "doc._.opnote_sections", "token.is_sent_start"],
    default_config={"spans_key": "opnote", "context_key": "context"},
)
def make_devices(nlp: Language, name: str, spans_key: str, context_key: str) -> DeviceMentions:
    return DeviceMentions(spans_key, context_key, read_yaml("devices.yaml"))
