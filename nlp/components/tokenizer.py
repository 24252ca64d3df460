"""Tokenizer for operative notes: splits counts and sizes ("x3", "#3", "(n=3)", "4.5mm")."""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

EXTRA_PREFIXES = [r"[xX×](?=\d+\b)", r"#(?=\d)", r"QTY(?=\d)", r"Qty(?=\d)", r"qty(?=\d)"]
EXTRA_SUFFIXES = [r"(?<=\d)(mm|cm|in|mL|ml|cc|x)\.?", r"(?<=\d)[xX×]"]
EXTRA_INFIXES = [r"(?<=[A-Za-z0-9])=(?=[A-Za-z0-9])", r"(?<=\d)[xX×](?=\d)",
                 r"(?<=[a-z])/(?=[a-z])", r"(?<=\d)-(?=[A-Za-z])", r"(?<=[A-Za-z])-(?=\d)", r"\|",
                 r"(?<=[A-Za-z])\+(?=[A-Za-z])",
                 r"(?<=[A-Za-z]):(?=\d)"]


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
        return Tokenizer(
            nlp.vocab,
            rules=rules,
            prefix_search=compile_prefix_regex(prefixes).search,
            suffix_search=compile_suffix_regex(suffixes).search,
            infix_finditer=compile_infix_regex(infixes).finditer,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )

    return make
