"""opnote_sentences: sentence and list-item boundaries fit for operative notes.

Replaces spaCy's sentencizer, which misses ends after "mm." and ignores line structure.
"""

from __future__ import annotations

from bisect import bisect_left

from spacy.language import Language
from spacy.tokens import Doc

from ..segment import sentence_starts


class OpnoteSentences:
    def __call__(self, doc: Doc) -> Doc:
        if len(doc) == 0:
            return doc
        idx = [t.idx for t in doc]
        starts = set()
        for char in sentence_starts(doc.text):
            i = bisect_left(idx, char)
            if i < len(doc):
                starts.add(i)
        for i, token in enumerate(doc):
            token.is_sent_start = i in starts or i == 0
        return doc


@Language.factory("opnote_sentences", assigns=["token.is_sent_start"])
def make_sentences(nlp: Language, name: str) -> OpnoteSentences:
    return OpnoteSentences()
