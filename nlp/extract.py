"""Doc -> Facts: the one boundary between spaCy objects and the pydantic models.

Aggregates device mentions (doc._.opnote_devices) into one Device per type, bone and status:
the implant log is authoritative for counts, then the narrative, then the procedure title.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from spacy.tokens import Doc

from .schemas import Device, Facts, Site
from .spans import doc_text

TITLE = "procedure"
LOG = "implants"
NOT_BODY = {"procedure", "implants", "diagnosis", "indications", "plan", "explants"}
SPECIFIC = ("femoral neck", "intertrochanteric", "subtrochanteric", "supracondylar")
MIDLINE = {"vertebra", "sacrum"}
# a new paragraph, or a new numbered step or bullet: where a narrative may move to another bone
PARAGRAPH = re.compile(r"\n[ \t]*\n|\n[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]")
# Types usually placed one per bone: repeated "a plate" mentions are one device.
SINGLE_UNIT = {"plate", "nail", "blade_plate", "sliding_hip_screw", "rod"}


def _region_rank(region: str) -> int:
    return SPECIFIC.index(region) if region in SPECIFIC else len(SPECIFIC)


def _bones_by_sentence(anchors: dict[str, Any]) -> dict[int, list[list[Any]]]:
    """The bone anchors of each sentence (by its first token)."""
    by_sent: dict[int, list[list[Any]]] = defaultdict(list)
    for b in anchors.get("bones", []):
        by_sent[b[1]].append(b)
    return by_sent


def _share_among_bones(mentions: list[dict[str, Any]],
                       by_sent: dict[int, list[list[Any]]]) -> None:
    """"...the side plate to the femur and the T-plate to the tibia with 4.5 and 3.5 mm screws
    respectively, eleven screws in all": each bone has some of the screws, none a number."""
    out: list[dict[str, Any]] = []
    for m in mentions:
        bones = {b[0]: b for b in by_sent.get(m["sent"], [])}
        if not m.get("distributive") or len(bones) < 2 or m["definite"] \
                or m["type"] in SINGLE_UNIT:
            out.append(m)
            continue
        for name, b in bones.items():
            out.append({**m, "bone": name, "bone_span": [b[5], b[6]], "count": None,
                        "count_evidence": [], "total": False, "indeterminate": True})
    mentions[:] = out


def _reclassify_removed(mentions: list[dict[str, Any]]) -> None:
    """Devices placed and later removed in the same operation were provisional.

    "Two K-wires held the reduction ... the K-wires were removed": the earlier applied
    mentions of that type, with no new device of the type introduced after the removal,
    become provisional (introducing mentions) or removed (references).
    """
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        if m["section"] not in NOT_BODY:
            by_type[m["type"]].append(m)
    for ms in by_type.values():
        removed_at = [i for i, m in enumerate(ms) if m["status"] in ("removed", "provisional")]
        if not removed_at:
            continue
        last = removed_at[-1]
        later_new = any(m["status"] == "applied" and m["count"] is not None
                        and not m["definite"] for m in ms[last + 1:])
        for i, m in enumerate(ms):
            if m["status"] != "applied" or (later_new and i > last):
                continue  # after the removal a new device of the type was placed
            if m["definite"]:
                m["status"] = "removed"  # "the plate" of a type that was taken out
            elif i < last:
                m["status"] = "provisional"


def _references_to_old_hardware(mentions: list[dict[str, Any]]) -> None:
    """"The screw", "its distal screw" with no screw introduced in this operation, but old or
    removed screws mentioned: the reference is to that hardware, not to a new device."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        by_type[m["type"]].append(m)
    any_old = [m for m in mentions if m["status"] in ("historical", "removed")]
    for ms in by_type.values():
        applied = [m for m in ms if m["status"] == "applied"]
        old = [m for m in ms if m["status"] in ("historical", "removed")]
        if not applied or not all(m["definite"] for m in applied):
            continue
        if old:
            for m in applied:
                m["status"] = old[-1]["status"] if old[-1]["start"] < m["start"] \
                    else old[0]["status"]
        elif any_old and not any(m.get("stated_done") for m in applied):
            # "it and its screws were intact": parts of the old construct, never placed here
            for m in applied:
                m["status"] = "historical"


def _drop_side_plates(mentions: list[dict[str, Any]]) -> None:
    """With a blade plate or sliding hip screw, "the plate"/"side plate" is part of it."""
    if not any(m["type"] in ("blade_plate", "sliding_hip_screw") for m in mentions):
        return
    def part_of_device(m: dict[str, Any]) -> bool:
        return m["type"] == "plate" and (m.get("side_plate") or m["definite"])

    introduced = any(m["type"] == "plate" and not part_of_device(m) and m["count_evidence"]
                     for m in mentions)
    mentions[:] = [m for m in mentions if not (part_of_device(m) or (
        m["type"] == "plate" and not introduced))]


ALIASES = {"pin": "wire", "wire": "pin"}  # K-wires are often called pins, and back


def _introduces(m: dict[str, Any]) -> bool:
    """"Two K-wires were placed": a mention that brings a device in (not "a pin was then bent
    and cut", which finishes one already there)."""
    return not m["definite"] and not m["process"] and bool(m["count_evidence"]) \
        and (m["section"] == LOG or m.get("stated_done", True))


def _merge_aliases(mentions: list[dict[str, Any]]) -> None:
    """"Two K-wires ... the pins were cut": a type only referred to joins its alias."""
    for kind, alias in ALIASES.items():
        own = [m for m in mentions if m["type"] == kind]
        other = [m for m in mentions if m["type"] == alias]
        if own and other and not any(_introduces(m) for m in own):
            for m in own:
                m["type"] = alias
                m["definite"] = True  # refers to the alias's device: adds none


def _wires_outside_log(mentions: list[dict[str, Any]]) -> None:
    """With an implant log of applied devices, wires and pins it does not list were provisional."""
    logged = {m["type"] for m in mentions if m["section"] == LOG and m["status"] == "applied"}
    if not logged:
        return
    for m in mentions:
        if m["type"] in ("wire", "pin") and m["type"] not in logged and m["status"] == "applied":
            m["status"] = "provisional"


def _operative_bone(mentions: list[dict[str, Any]], anchors: dict[str, Any]) -> None:
    """Outside a qualifying report, a device with no stated bone is on the operative bone."""
    bones = anchors.get("bones", [])
    for wanted in (("procedure",), ("diagnosis",), None):
        tier = [b for b in bones if wanted is None or b[2] in wanted]
        if tier:
            counts: dict[str, int] = defaultdict(int)
            for b in tier:
                counts[b[0]] += 1
            top = max(counts, key=lambda k: (counts[k], -min(b[3] for b in tier if b[0] == k)))
            anchor = next(b for b in tier if b[0] == top)
            break
    else:
        return
    for m in mentions:
        if m["bone"] is None and m["status"] == "applied":
            m["bone"], m["bone_span"] = anchor[0], [anchor[5], anchor[6]]


def _resolve_bones(mentions: list[dict[str, Any]], generic: list[dict[str, Any]],
                   anchors: dict[str, Any], text: str,
                   by_sent: dict[int, list[list[Any]]]) -> None:
    """Fill a missing bone: from what the sentence fixes ("the osteotomy"), a next sentence
    going on with "It was applied to...", the same device type or the construct (unless a
    new paragraph has moved to another operated bone), or the title line."""
    applied = [m for m in mentions if m["status"] == "applied"]
    # bones the operation is about: named in the title or with a device in its own sentence
    operated = {b[0] for b in anchors.get("bones", []) if b[2] == TITLE}
    operated |= {m["bone"] for m in applied if m["bone"] is not None}
    title_fixation = [o for o in mentions + generic if o["section"] == TITLE]
    for i, m in enumerate(applied):
        if m["bone"] is not None:
            continue
        target = None
        if m["section"] not in NOT_BODY:
            target = (_target_bone(m, anchors)
                      or _next_sentence_bone(m, by_sent, mentions))
        if target is not None:
            m["bone"], m["bone_span"] = target[0], [target[5], target[6]]
            operated.add(target[0])
            continue
        same = [o for o in applied if o["type"] == m["type"] and o["bone"] is not None]
        before = [o for o in same if o["start"] < m["start"]]
        construct = [o for o in applied[:i] if o["bone"] is not None
                     and o["section"] == m["section"] and m["sent"] - o["sent"] < 400]
        in_body = [o for o in before if o["section"] != TITLE]
        if m["section"] != TITLE and not in_body and construct \
                and len({o["bone"] for o in before}) > 1:
            # the title names screws on two bones ("...tibial plateau with plates and screws;
            # screw fixation of the fibular head"): the construct being built decides
            src = construct[-1]
        else:
            src = (before[-1] if before else same[0]) if same else (
                construct[-1] if construct and m["section"] != TITLE else None)
        if src is not None:
            focus = _focus_bone(m, anchors) if m["section"] not in NOT_BODY else None
            moved = focus is not None and focus[0] in operated and focus[0] != src["bone"] \
                and focus[1] > src["sent"]
            if moved and PARAGRAPH.search(text, src["span"][1], m["span"][0]):
                # "The lateral malleolus was exposed ... [new paragraph] three screws": the
                # narrative moved on to another bone since that device was last placed
                m["bone"], m["bone_span"] = focus[0], [focus[5], focus[6]]
            else:
                _take_site(m, src)
            continue
        # the procedure title line naming the fixation: the bone nearest to that mention
        best = None
        for o in title_fixation:
            for b in anchors.get("bones", []):
                if b[1] == o["sent"]:
                    dist = abs(b[3] - o["start"])
                    if best is None or dist < best[0]:
                        best = (dist, b)
        if best is not None:
            b = best[1]
            m["bone"], m["bone_span"] = b[0], [b[5], b[6]]


def _target_bone(m: dict[str, Any], anchors: dict[str, Any]) -> list[Any] | None:
    """"Two screws were used to fix the osteotomy site": the one bone the title or the
    diagnosis names with that osteotomy (or fracture, nonunion, fusion)."""
    words = set(m.get("targets", ()))
    if not words:
        return None
    found: dict[str, list[Any]] = {}
    # (a pipeline saved before bone_targets existed gives none: the rule then stays silent)
    for b, fixes in zip(anchors.get("bones", []), anchors.get("bone_targets", []), strict=False):
        if words.intersection(fixes):
            found.setdefault(b[0], b)
    return next(iter(found.values())) if len(found) == 1 else None


def _next_sentence_bone(m: dict[str, Any], by_sent: dict[int, list[list[Any]]],
                        mentions: list[dict[str, Any]]) -> list[Any] | None:
    """"A six-hole plate was selected. It was placed on the distal fibula with five screws.":
    the one bone of a next sentence that opens with a pronoun and names no other device of
    the type."""
    nxt = m.get("next_sent")
    if nxt is None:
        return None
    if any(o["sent"] == nxt and o["type"] == m["type"] for o in mentions):
        return None
    bones = {b[0]: b for b in by_sent.get(nxt, [])}
    return next(iter(bones.values())) if len(bones) == 1 else None


def _focus_bone(m: dict[str, Any], anchors: dict[str, Any]) -> list[Any] | None:
    """The last bone named in the narrative section before mention `m`, outside its sentence."""
    found = [b for b in anchors.get("bones", [])
             if b[2] == m["section"] and b[1] < m["sent"]]
    return max(found, key=lambda b: b[3]) if found else None


_ROW_END = re.compile(r"[;|\n]")
_PLAIN = {"the", "a", "an", "and", "with", "of", "mm", "x", "was", "were", "then", "to", "in",
          "qty", "ea", "each", "used", "implant", "implants"}


def _descriptor(text: str, m: dict[str, Any]) -> set[str]:
    """Words describing a device where it is named: its log row, or the words before it."""
    s0, s1 = m["span"]
    if m["section"] == LOG:
        start = max(text.rfind(c, 0, s0) for c in ";|\n") + 1
        nxt = _ROW_END.search(text, s1)
        end = nxt.start() if nxt else len(text)
    else:
        start, end = max(0, s0 - 50), s1
    words = set(re.findall(r"[a-z]+|\d+(?:\.\d+)?", text[start:end].lower()))
    return words - _PLAIN


def _log_rows_like_the_narrative(mentions: list[dict[str, Any]], text: str) -> None:
    """"One-third tubular plate, 6-hole x1" in a log naming no bone goes where the narrative
    put its "6-hole one-third tubular plate" (the fibula), not where the last plate went.
    Plates, nails and rods only: one per bone, each described its own way."""
    placed = [m for m in mentions if m["status"] == "applied" and m["section"] != LOG
              and m["bone"] is not None and not m["definite"]]
    for m in mentions:
        if m["section"] != LOG or m["bone_stated"] or m["status"] != "applied" \
                or m["type"] not in SINGLE_UNIT:
            continue  # (screw rows share sizes and words across bones: too alike to tell)
        row = _descriptor(text, m)
        scored: dict[str, int] = {}
        for o in placed:
            if o["type"] == m["type"]:
                score = len(row & _descriptor(text, o))
                scored[o["bone"]] = max(scored.get(o["bone"], 0), score)
        if len(scored) < 2:
            continue
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        if ranked[0][1] >= 2 and ranked[0][1] > ranked[1][1] and ranked[0][0] != m["bone"]:
            src = next(o for o in placed if o["type"] == m["type"] and o["bone"] == ranked[0][0])
            m["bone"], m["bone_span"] = src["bone"], src["bone_span"]
            m["region"] = m["region"] or src["region"]


def _take_site(m: dict[str, Any], src: dict[str, Any]) -> None:
    """Give mention `m` the bone of `src`, and its region and side where `m` has none."""
    m["bone"], m["bone_span"] = src["bone"], src["bone_span"]
    m["region"] = m["region"] or src["region"]
    m["side"] = m["side"] or src["side"]


def _fallback_region(bone: str, anchors: dict[str, Any]) -> tuple[str | None, list[int] | None]:
    """A region stated for the same bone in the title, then the diagnosis, then anywhere."""
    bones = anchors.get("bones", [])
    regions = anchors.get("regions", [])
    for wanted in ("procedure", "diagnosis", None):
        found = []
        for b in bones:
            if b[0] != bone or (wanted is not None and b[2] != wanted):
                continue
            for r in regions:
                if r[1] != b[1]:
                    continue
                dist = 0 if (r[3] < b[4] and b[3] < r[4]) else (
                    b[3] - r[4] if r[4] <= b[3] else r[3] - b[4])
                if dist <= 4:
                    found.append((_region_rank(r[0]), dist, r))
        if found:
            r = min(found)[2]
            return r[0], [r[5], r[6]]
    return None, None


SPINE_REGIONS = {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral",
                 "CT": "cervicothoracic", "TL": "thoracolumbar", "LS": "lumbosacral"}


def _spine_region(group: list[dict[str, Any]], anchors: dict[str, Any], text: str
                  ) -> tuple[str | None, list[int] | None]:
    """Region of spinal hardware from the levels named with it: C3-C6 is cervical, T11-L2
    thoracolumbar, L4-S1 lumbosacral; levels in the device's sentences, else anywhere."""
    levels = [b for b in anchors.get("bones", []) if b[0] == "vertebra"
              and re.fullmatch(r"[CTLS]\d{1,2}", text[b[5]:b[6]].strip().upper())]
    sents = {m["sent"] for m in group}
    chosen = [b for b in levels if b[1] in sents] or levels
    if not chosen:
        return None, None
    letters = "".join(sorted({text[b[5]].upper() for b in chosen}, key="CTLS".index))
    if len(letters) > 2:
        letters = letters[0] + letters[-1]
    region = SPINE_REGIONS.get(letters)
    return region, ([chosen[0][5], chosen[0][6]] if region else None)


def _fallback_side(bone: str, anchors: dict[str, Any]) -> str | None:
    for wanted in ("procedure", "diagnosis", None):
        for b in anchors.get("bones", []):
            if b[0] != bone or (wanted is not None and b[2] != wanted):
                continue
            for s in anchors.get("sides", []):
                if s[1] == b[1] and abs(s[3] - b[3]) <= 5:
                    return s[0]
    return None


def _count(group: list[dict[str, Any]], old_hardware: bool = False
           ) -> tuple[int | None, list[list[int]]]:
    """Total for one device type on one bone: a correcting addendum, else the log, else the
    narrative, else the title."""
    corrected = [m for m in _without_breakdowns([m for m in group if m.get("correction")])
                 if m["count"] is not None and not m["definite"]]
    if corrected:  # "nine screws in total", else the last number the addendum gives
        best = max((m for m in corrected if m["total"]), key=lambda m: m["count"],
                   default=corrected[-1])
        return best["count"], best["count_evidence"]
    log = [m for m in group if m["section"] == LOG]
    body = [m for m in group if m["section"] not in (LOG, TITLE)]
    title = [m for m in group if m["section"] == TITLE]
    if log:
        entries = [m for m in log if not m["definite"]]
        summary = [m for m in entries if m["total"] and m["count"] is not None]
        if summary:  # a totals row restates the rows above it
            return sum(m["count"] for m in summary), [e for m in summary
                                                       for e in m["count_evidence"]]
        if any(m["count"] is None and (m["plural"] or m.get("indeterminate")) for m in entries):
            return None, []  # "distal locking screws, 5.0 mm": the log gives no number
        # a bare singular counts one per log row; on a checklist line ("[x] plate [x] screws")
        # or a row that restates another, it only says the type is there
        per_line: dict[int, int] = defaultdict(int)
        for m in log:
            per_line[m["sent"]] += 1
        known = [m["count"] for m in entries if m["count"] is not None
                 and (m["count_evidence"] or per_line[m["sent"]] == 1)]
        if known and group[0]["type"] in SINGLE_UNIT and not any(
                m["count_evidence"] for m in entries):
            return 1, []  # "[x] plate" ... "6-hole LCP" ... "Plate applied": one plate named thrice
        if known:
            return sum(known), [e for m in log for e in m["count_evidence"]]
    for tier in (body, title):
        tier = _without_breakdowns(tier)
        if any(m.get("indeterminate") for m in tier) and not any(m["total"] for m in tier):
            return None, []  # "multiple screws": the note gives no number
        last_counted = max((m["start"] for m in tier if m["count"] is not None
                            and m["count_evidence"] and not m["definite"]), default=-1)
        totals = [m for m in tier if m["total"] and m["count"] is not None
                  and (not m.get("restated") or m["start"] == last_counted)]
        if totals:
            best = max(totals, key=lambda m: m["count"])
            return best["count"], best["count_evidence"]
        counted = [m for m in tier if m["count"] is not None and not m["definite"]]
        explicit = [m for m in counted if m["count_evidence"]]
        if explicit:
            total = sum(m["count"] for m in explicit)
            if group[0]["type"] in SINGLE_UNIT:
                # "a plate was chosen ... a 54-mm plate was applied": one plate, unless
                # the note says "second", "another" or gives a number
                numbered = [m for m in explicit if not m.get("article")]
                extra = sum(1 for m in explicit if m.get("article") and m.get("another"))
                total = sum(m["count"] for m in numbered) or 1
                total += extra if not numbered else 0
            return total, [e for m in explicit for e in m["count_evidence"]]
        if counted:
            return 1, []
    if any(m["plural"] and not m["definite"] for m in group):
        return None, []  # "plates and screws" with no number
    if any(not m["plural"] and not m["process"] and (not m["definite"] or not old_hardware)
           for m in group):
        # a bare singular ("plate fixed with screws") is one plate; so is "the plate" alone,
        # unless the report also describes old hardware it could refer to
        return 1, []
    return None, []


def _without_breakdowns(mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """"six screws: four locking and two cortical": the parts restate the total."""
    out = list(mentions)
    by_sent: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        if m["count"] is not None and m["count_evidence"] and not m["definite"]:
            by_sent[m["sent"]].append(m)
    for group in by_sent.values():
        group.sort(key=lambda m: m["start"])
        for i, head in enumerate(group[:-1]):
            parts = group[i + 1:]
            if len(parts) >= 2 and sum(p["count"] for p in parts) == head["count"]:
                out = [m for m in out if not any(m is p for p in parts)]
                break
    return out


def resolved_mentions(doc: Doc) -> list[dict[str, Any]]:
    """Device mentions after the report-level rules (side plates, aliases, removals, bones)."""
    report = doc._.opnote_report or {}
    anchors = report.get("anchors", {})
    mentions = [dict(m) for m in (doc._.opnote_devices or [])]
    generic = list(doc._.opnote_generic or [])
    _drop_side_plates(mentions)
    _merge_aliases(mentions)
    by_sent = _bones_by_sentence(anchors)
    _share_among_bones(mentions, by_sent)
    _reclassify_removed(mentions)
    _references_to_old_hardware(mentions)
    _wires_outside_log(mentions)
    for m in mentions:
        m["bone_stated"] = m["bone"] is not None
    text = doc_text(doc)
    _resolve_bones(mentions, generic, anchors, text, by_sent)
    _log_rows_like_the_narrative(mentions, text)
    if report.get("primary_procedure") != "femur_lesion_excision":
        _operative_bone(mentions, anchors)
    return mentions


def facts_from_doc(doc: Doc) -> Facts:
    """Aggregate the pipeline's annotations on one Doc into decision facts."""
    report = doc._.opnote_report or {}
    anchors = report.get("anchors", {})
    generic = list(doc._.opnote_generic or [])
    mentions = resolved_mentions(doc)

    groups: dict[tuple[str, str | None, str], list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        groups[(m["type"], m["bone"], m["status"])].append(m)

    # "in situ pinning" in the title of a report whose body places a screw (or K-wires): the
    # title names the technique; pins only ever named that way are no device of their own
    named = {m["type"] for m in mentions if m["status"] == "applied" and not m["process"]}
    for key in [k for k in groups if k[0] == "pin" and k[2] == "applied"]:
        if "pin" not in named and named & {"screw", "wire"} and all(
                m["process"] and m["section"] == TITLE for m in groups[key]):
            del groups[key]
    old_hardware = any(m["status"] in ("historical", "removed") for m in mentions)
    devices: list[Device] = []
    counts = {key: _count(group, old_hardware) for key, group in groups.items()}
    _log_less_elsewhere(groups, counts)
    for (dtype, bone, status), group in groups.items():
        count, count_ev = counts[(dtype, bone, status)]
        regions = [(m["region"], m["region_span"]) for m in group if m["region"]]
        region, region_span = (min(regions, key=lambda r: _region_rank(r[0]))
                               if regions else (None, None))
        if region is None and bone == "vertebra":
            region, region_span = _spine_region(group, anchors, doc_text(doc))
        if region is None and bone is not None and status == "applied":
            region, region_span = _fallback_region(bone, anchors)
        side = next((m["side"] for m in group if m["side"]), None)
        if side is None and bone is not None:
            side = _fallback_side(bone, anchors)
        if side is None:
            side = report.get("laterality")
        if bone in MIDLINE:
            side = None
        evidence = [tuple(m["span"]) for m in group]
        evidence += [tuple(e) for e in count_ev]
        for m in group[:1]:
            for key in ("bone_span", "side_span", "trigger"):
                if m.get(key):
                    evidence.append(tuple(m[key]))
        if region_span:
            evidence.append(tuple(region_span))
        devices.append(Device(
            type=dtype, count=count, status=status, site=Site(bone=bone, region=region),
            laterality=side, evidence=_dedupe(evidence),
        ))
    devices.sort(key=lambda d: (d.status != "applied", d.evidence[0] if d.evidence else (0, 0)))

    generic_done = [g for g in generic
                    if g["status"] == "applied" and g["section"] not in
                    ("diagnosis", "indications", "plan", "findings")
                    and (g["section"] == TITLE or g.get("stated_done", True))]
    generic_applied = [tuple(g["span"]) for g in generic_done]
    return Facts(
        text_length=(doc[-1].idx + len(doc[-1].text_with_ws)) if len(doc) else 0,
        devices=devices,
        generic_fixation=generic_applied,
        generic_fixation_bones=_nearest_bones(generic_done, _bones_by_sentence(anchors)),
        primary_procedure=report.get("primary_procedure", "other"),
        procedure_evidence=[tuple(e) for e in report.get("procedure_evidence", [])],
        graft=report.get("graft", "none"),
        graft_evidence=[tuple(e) for e in report.get("graft_evidence", [])],
        laterality=report.get("laterality"),
        laterality_evidence=[tuple(e) for e in report.get("laterality_evidence", [])],
        lesion_evidence=[tuple(e) for e in report.get("lesion_evidence", [])],
        status_confidence=report.get("learned", {}).get("status_min_prob", 1.0),
        procedure_confidence=report.get("learned", {}).get("procedure_prob", 1.0),
    )


def _log_less_elsewhere(groups: dict[tuple[str, str | None, str], list[dict[str, Any]]],
                        counts: dict[tuple[str, str | None, str], tuple[int | None, list]]
                        ) -> None:
    """An implant log of "4 screws" naming no bone, read onto the metatarsal, while the
    narrative puts one of them in the phalanx: the metatarsal has the other three (and when
    the number elsewhere is unknown, the log says nothing about the metatarsal's share)."""
    for key, group in groups.items():
        dtype, bone, status = key
        log = [m for m in group if m["section"] == LOG]
        total = counts[key][0]
        if status != "applied" or not log or total is None or any(m["bone_stated"] for m in log):
            continue
        elsewhere = [counts[k][0] for k, g in groups.items() if k[0] == dtype and k[2] == status
                     and k[1] not in (None, bone) and not any(m["section"] == LOG for m in g)]
        if elsewhere and None not in elsewhere and 0 < sum(elsewhere) < total:
            counts[key] = (total - sum(elsewhere), counts[key][1])
        elif None in elsewhere:
            # how many of the log's devices went elsewhere is unknown: the narrative decides
            counts[key] = _count([m for m in group if m["section"] != LOG])


def _nearest_bones(mentions: list[dict[str, Any]],
                   by_sent: dict[int, list[list[Any]]]) -> list[str]:
    """For each mention, the bone named closest to it in its sentence ("prophylactic
    osteosynthesis of the distal femur" -> femur)."""
    found: set[str] = set()
    for m in mentions:
        near = by_sent.get(m["sent"], [])
        if near:
            found.add(min(near, key=lambda b: abs(b[3] - m["start"]))[0])
    return sorted(found)


def _dedupe(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    out = []
    for s in spans:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out
