"""Custom Doc extensions of the opnote pipeline, registered once.

Values are plain lists and dicts (no rule objects), so Docs survive DocBin serialisation
and `nlp.pipe(n_process=2)`.
"""

from __future__ import annotations

from spacy.tokens import Doc

EXTENSIONS = {
    "opnote_sections": None,   # [(heading_start, content_start, end, category)]
    "opnote_devices": None,    # [device mention dicts], see components/devices.py
    "opnote_generic": None,    # [generic fixation mention dicts]
    "opnote_text": None,       # doc.text, cached once (doc.text rebuilds it token by token)
    "opnote_report": None,     # {"primary_procedure", "graft", "laterality", anchors, evidence}
}


def register() -> None:
    for name, default in EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)


register()
