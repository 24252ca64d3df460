"""opnote_procedure: the report's primary procedure class, graft class and operative side.

Stores `doc._.opnote_report` = {"primary_procedure", "procedure_evidence", "graft",
"graft_evidence", "laterality", "laterality_evidence", "lesion_evidence", "anchors"}.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import extensions  # noqa: F401
from ..counting import Tokens
from ..resources import read_yaml
from ..segment import section_at
from ..spans import (
    SideFilter,
    WordLists,
    doc_text,
    longest_first,
    not_inside,
    span_tuples,
    token_view,
    trigger_index,
)

NOT_NEGATED = {"applied", "historical", "removed", "provisional"}
GRAFT_ORDER = ("autograft", "allograft", "synthetic")


class ReportFacts(WordLists):
    def __init__(self, spans_key: str, context_key: str, words: dict[str, Any]) -> None:
        self.spans_key = spans_key
        self.context_key = context_key
        self.configure(words)

    def configure(self, words: dict[str, Any]) -> None:
        super().configure(words)
        self.is_side = SideFilter(words)
        self.default_status: dict[str, str] = dict(words["default_status"])
        self.title_sections = set(words["title_sections"])
        self.punctuation: dict[str, str] = dict(words["punctuation_terminators"])
        self.targets = {w: w for w in words["fixation_targets"]}
        self.targets.update({w: "osteotomy" for w in words["named_osteotomies"]})

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        toks = token_view(doc, text)
        sections = doc._.opnote_sections or [[0, 0, len(text), "description"]]
        raw = span_tuples(doc, self.spans_key)
        bone_family = longest_first([s for s in raw if s[2] in ("BONE", "NONBONE")])
        named = [s for s in raw if s[2] == "DEVICE"]
        bones = not_inside([s for s in bone_family if s[2] == "BONE"],
                           named)  # not "hip" in "dynamic hip screw"
        regions = [s for s in raw if s[2] == "REGION"]
        sides = [s for s in raw if s[2] == "SIDE" and self.is_side(toks, s)]
        lesions = longest_first([s for s in raw if s[2] in ("LESION", "PROC")])
        grafts = longest_first([s for s in raw if s[2] == "GRAFT"])
        index = trigger_index(doc, self.context_key, self.punctuation)

        section_of: dict[int, str] = {}

        def where(s: tuple[int, int, str, str]) -> str:
            if s[0] not in section_of:
                section_of[s[0]] = section_at(sections, toks.idx[s[0]])[3]
            return section_of[s[0]]

        def status(s: tuple[int, int, str, str], use_section: bool = True) -> str:
            hit = index.status(s[0], s[1], toks.sent_start[s[0]], toks.sent_end[s[0]])
            if hit is not None and hit.category != "PSEUDO":
                return hit.category.lower()
            return self.default_status.get(where(s), "applied") if use_section else "applied"

        has_title = any(sec[3] in self.title_sections for sec in sections)
        has_diag = any(sec[3] == "diagnosis" for sec in sections)
        header = {"procedure", "diagnosis"} if (has_title or has_diag) else None

        def in_header(s: tuple[int, int, str, str]) -> bool:
            return header is None or where(s) in header

        femur_sents = {toks.sent_start[b[0]] for b in bones if b[3] == "femur"}
        span_of = toks.span

        benign = [s for s in lesions if s[2] == "LESION" and s[3] == "benign"
                  and status(s, use_section=False) != "negated" and in_header(s)]
        femoral_lesions = [s for s in benign if toks.sent_start[s[0]] in femur_sents]
        if not femoral_lesions and header is not None:
            # a lesion named in the body with the femur ("the cyst in the proximal femur")
            femoral_lesions = [s for s in lesions if s[2] == "LESION" and s[3] == "benign"
                               and toks.sent_start[s[0]] in femur_sents
                               and status(s, use_section=False) != "negated"
                               and where(s) in ("description", "indications", "findings")]
        malignant = [s for s in lesions if s[2] == "LESION" and s[3] == "malignant"
                     and status(s, use_section=False) not in ("negated", "planned")
                     and in_header(s)]
        excisions = [s for s in lesions if s[2] == "PROC" and s[3] == "excision"
                     and status(s) == "applied"]
        procs: dict[str, list[tuple[int, int, str, str]]] = {}
        for s in lesions:
            if s[2] == "PROC" and in_header(s) and status(s, use_section=False) in NOT_NEGATED:
                procs.setdefault(s[3], []).append(s)

        devices = doc._.opnote_devices or []
        generic = doc._.opnote_generic or []
        # new fixation: an applied device introduced as such ("a plate", "two screws"), not a
        # reference ("the plate was disengaged") that may be the old hardware
        fixation_applied = any(
            d["status"] == "applied" and not d.get("definite", False)
            for d in devices + [g for g in generic if g["section"] == "procedure"]
            if d["section"] not in ("diagnosis", "indications", "findings"))

        removed_in_title = [d["span"] for d in devices + generic
                            if d["section"] == "procedure" and d["status"] == "removed"]
        evidence: list[list[int]] = []
        # a joint replacement named in the title, with no curettage or excision named there,
        # is the operation even when the lesion it treats is benign (head resected for a THA)
        replaced = any(where(s) == "procedure" for s in procs.get("arthroplasty", [])) and \
            not any(where(s) == "procedure" for s in excisions)
        if femoral_lesions and excisions and not malignant and not replaced:
            kind = "femur_lesion_excision"
            evidence = [list(span_of(femoral_lesions[0][0], femoral_lesions[0][1])),
                        list(span_of(excisions[0][0], excisions[0][1]))]
        elif "arthroplasty" in procs and (has_title or not procs.get("fracture")):
            kind, evidence = "arthroplasty", [list(span_of(*procs["arthroplasty"][0][:2]))]
        elif ("removal" in procs or removed_in_title) and not fixation_applied:
            first = procs["removal"][0] if "removal" in procs else None
            kind = "hardware_removal"
            evidence = [list(span_of(first[0], first[1]))] if first else [removed_in_title[0]]
        elif "fracture" in procs:
            kind, evidence = "fracture_orif", [list(span_of(*procs["fracture"][0][:2]))]
        elif "removal" in procs:
            kind, evidence = "hardware_removal", [list(span_of(*procs["removal"][0][:2]))]
        else:
            kind = "other"
            first = (procs.get("other") or procs.get("excision") or [None])[0]
            evidence = [list(span_of(first[0], first[1]))] if first else []

        graft_kinds: dict[str, list[list[int]]] = {}
        for g in grafts:
            if status(g) == "applied":
                graft_kinds.setdefault(g[3], []).append(list(span_of(g[0], g[1])))
        graft = next((k for k in GRAFT_ORDER if k in graft_kinds), "none")

        side, side_ev = _operative_side(toks, sides, bones, where, header is not None)
        doc._.opnote_report = {
            "primary_procedure": kind,
            "procedure_evidence": evidence,
            "graft": graft,
            "graft_evidence": graft_kinds.get(graft, [])[:3],
            "laterality": side,
            "laterality_evidence": side_ev,
            "lesion_evidence": [list(span_of(s[0], s[1])) for s in (femoral_lesions or benign)[:2]],
            "anchors": {**_anchors(toks, bones, regions, sides, where),
                        "bone_targets": self._line_targets(toks, text, bones, where)},
        }
        return doc

    def _line_targets(self, toks: Tokens, text: str, bones: list, where: Any) -> list[list[str]]:
        """Per bone: what a title or diagnosis line naming it fixes ("Medial malleolus
        osteotomy" -> osteotomy), for devices that name only the osteotomy or fracture."""
        out: list[list[str]] = []
        by_line: dict[int, list[str]] = {}
        for b in bones:
            if where(b) not in ("procedure", "diagnosis"):
                out.append([])
                continue
            a, z = toks.span(b[0], b[1])
            first = text.rfind("\n", 0, a) + 1
            if first not in by_line:
                line = text[first:(text.find("\n", z) + 1 or len(text) + 1) - 1]
                words = re.findall(r"[a-z][a-z-]*", line.lower())
                by_line[first] = sorted({self.targets[w] for w in words if w in self.targets})
            out.append(by_line[first])
        return out


def _operative_side(toks: Tokens, sides: list, bones: list, where: Any, has_header: bool
                    ) -> tuple[str | None, list[list[int]]]:
    """Side of the operative site: stated by the title, then the diagnosis, then anywhere."""
    if not sides:
        return None, []
    tiers = [[s for s in sides if where(s) == "procedure"],
             [s for s in sides if where(s) == "diagnosis"], sides]
    for tier in tiers:
        if not tier:
            continue
        kinds = {s[3] for s in tier}
        if "bilateral" in kinds:
            chosen = next(s for s in tier if s[3] == "bilateral")
        else:
            chosen = tier[0]
        return chosen[3], [list(toks.span(chosen[0], chosen[1]))]
    return None, []


def _anchors(toks: Tokens, bones: list, regions: list, sides: list, where: Any) -> dict[str, Any]:
    """Bones, regions and sides with their section and sentence, for site fallbacks."""
    def pack(items: list) -> list[list[Any]]:
        return [[s[3], toks.sent_start[s[0]], where(s), s[0], s[1], *toks.span(s[0], s[1])]
                for s in items]

    return {"bones": pack(bones), "regions": pack(regions), "sides": pack(sides)}


@Language.factory(
    "opnote_procedure",
    assigns=["doc._.opnote_report"],
    requires=["doc.spans", "doc._.opnote_sections", "doc._.opnote_devices"],
    default_config={"spans_key": "opnote", "context_key": "context"},
)
def make_procedure(nlp: Language, name: str, spans_key: str, context_key: str) -> ReportFacts:
    return ReportFacts(spans_key, context_key, read_yaml("devices.yaml"))
