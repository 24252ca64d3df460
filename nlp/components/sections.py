"""opnote_sections: report sections (diagnosis, procedure title, description, implants...)."""

from __future__ import annotations

import json
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from .. import extensions  # noqa: F401  (registers Doc._.opnote_sections)
from ..resources import section_headings
from ..segment import find_sections
from ..spans import doc_text


class OpnoteSections:
    def __init__(self) -> None:
        self.headings: dict[str, str] = section_headings()

    def __call__(self, doc: Doc) -> Doc:
        doc._.opnote_sections = [list(s) for s in find_sections(doc_text(doc), self.headings)]
        return doc

    def to_disk(self, path: str | Path, exclude: tuple = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "headings.json").write_text(json.dumps(self.headings, indent=0, sort_keys=True))

    def from_disk(self, path: str | Path, exclude: tuple = ()) -> OpnoteSections:
        self.headings = json.loads((Path(path) / "headings.json").read_text())
        return self


@Language.factory("opnote_sections", assigns=["doc._.opnote_sections"])
def make_sections(nlp: Language, name: str) -> OpnoteSections:
    return OpnoteSections()
