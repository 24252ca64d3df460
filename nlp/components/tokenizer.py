"""Tokenizer for operative notes: splits counts and sizes ("x3", "#3", "(n=3)", "4.5mm")."""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

from .. import extensions  # noqa: F401  (Doc._.opnote_text)

EXTRA_PREFIXES = [r"[xX×](?=\d+\b)", r"#(?=\d)", r"QTY(?=\d)", r"Qty(?=\d)", r"qty(?=\d)"]
EXTRA_SUFFIXES = [r"(?<=\d)(mm|cm|in|mL|ml|cc|x)\.?", r"(?<=\d)[xX×]"]
EXTRA_INFIXES = [r"(?<=[A-Za-z0-9])=(?=[A-Za-z0-9])", r"(?<=\d)[xX×](?=\d)",
                 r"(?<=[a-z])/(?=[a-z])", r"(?<=\d)-(?=[A-Za-z])", r"(?<=[A-Za-z])-(?=\d)", r"\|",
                 r"(?<=[A-Za-z])\+(?=[A-Za-z])",
                 r"(?<=[A-Za-z]):(?=\d)"]


class OpnoteTokenizer(Tokenizer):
    """spaCy's tokenizer that also keeps the text it was given on the Doc (doc._.opnote_text):
    rebuilding doc.text later costs a Token object per word."""

    def __call__(self, text: str) -> Doc:
        doc = super().__call__(text)
        doc._.opnote_text = text
        return doc

    def __reduce__(self):  # noqa: ANN204  (pickled into worker processes by nlp.pipe)
        reduced = super().__reduce__()
        return (_rebuild, (reduced,))


def _rebuild(reduced: tuple) -> OpnoteTokenizer:
    plain = reduced[0](*reduced[1])
    tok = OpnoteTokenizer(plain.vocab, rules=plain.rules, prefix_search=plain.prefix_search,
                          suffix_search=plain.suffix_search,
                          infix_finditer=plain.infix_finditer, token_match=plain.token_match,
                          url_match=plain.url_match)
    return tok


@registry.tokenizers("opnote_tokenizer.v1")
def create_opnote_tokenizer() -> Callable[[Language], Tokenizer]:
    """English tokenizer plus op-note rules for counts, sizes and implant-log punctuation."""

    def make(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        prefixes = list(defaults.prefixes or []) + EXTRA_PREFIXES
        suffixes = EXTRA_SUFFIXES + list(defaults.suffixes or [])
        infixes = list(defaults.infixes or []) + EXTRA_INFIXES
        # emoticon exceptions such as "8)" or ":3" would swallow counts in "(n=8)"
        rules = {k: v for k, v in (defaults.tokenizer_exceptions or {}).items()
                 if any(c.isalpha() for c in k)}
        return OpnoteTokenizer(
            nlp.vocab,
            rules=rules,
            prefix_search=compile_prefix_regex(prefixes).search,
            suffix_search=compile_suffix_regex(suffixes).search,
            infix_finditer=compile_infix_regex(infixes).finditer,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )

    return make
