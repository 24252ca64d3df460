"""opnote_sentences: sentence and list-item boundaries fit for operative notes.

Replaces spaCy's sentencizer, which misses ends after "mm." and ignores line structure.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from ..segment import sentence_starts
from ..spans import doc_text


class OpnoteSentences:
    def __call__(self, doc: Doc) -> Doc:
        if len(doc) == 0:
            return doc
        idx = doc.to_array(IDX).tolist()
        flags = numpy.full((len(doc), 1), -1, dtype="int64").astype("uint64")
        for char in sentence_starts(doc_text(doc)):
            i = bisect_left(idx, char)
            if i < len(doc):
                flags[i, 0] = 1
        flags[0, 0] = 1
        # one array write: setting token.is_sent_start one by one is quadratic in spaCy 3.8
        doc.from_array([SENT_START], flags)
        return doc


@Language.factory("opnote_sentences", assigns=["token.is_sent_start"])
def make_sentences(nlp: Language, name: str) -> OpnoteSentences:
    return OpnoteSentences()
