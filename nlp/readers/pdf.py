"""PDF reports with a text layer (.pdf): born-digital exports or OCRed scans, through pypdf.

A PDF with pages but no text is a scanned image that was never OCRed: it is reported as
"no text layer (scanned image?)", not read as an empty note. A PDF without its %%EOF trailer
is truncated and refused, so that a partial note is never checked as if it were whole.
Work is bounded: pypdf's own decompression limits, a page-count limit, a limit on each
page's (decompressed) content stream, whose text extraction in pypdf grows faster than
linearly, and a character limit; read_path's time limit covers the rest (form XObjects).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

from ..check import MAX_TEXT_CHARS
from . import Document, ReaderError, register, tidy_text

MAX_PAGES = 500
MAX_PAGE_CONTENT_BYTES = 1024 * 1024  # a dense text page is ~50 kB; 1 MB takes pypdf ~2 s
NO_TEXT_LAYER = "no text layer (scanned image?)"


@register(".pdf")
def read_pdf(path: Path, raw: bytes) -> Iterator[Document]:
    yield Document(id=path.stem, text=pdf_text(raw, path.name), meta={"format": "pdf"})


def pdf_text(raw: bytes, name: str, max_chars: int = MAX_TEXT_CHARS,
             max_pages: int = MAX_PAGES,
             max_page_content: int = MAX_PAGE_CONTENT_BYTES) -> str:
    """The text layer of every page, pages separated by a newline."""
    if b"%PDF-" not in raw[:1024]:
        raise ReaderError(f"{name}: not a PDF file (no %PDF header)")
    if b"%%EOF" not in raw[-2048:]:
        raise ReaderError(f"{name}: truncated or damaged PDF (no %%EOF trailer)")
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - the formats extra is missing
        raise ReaderError(f"{name}: PDF support needs pypdf "
                          "(pip install 'opcheck[formats]')") from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged-file chatter, not errors
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReaderError(f"{name}: PDF is password-protected")
        pages = reader.pages
        n = len(pages)
    except ReaderError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise ReaderError(f"{name}: damaged PDF ({type(exc).__name__})") from None
    if n == 0:
        raise ReaderError(f"{name}: PDF has no pages")
    if n > max_pages:
        raise ReaderError(f"{name}: PDF has {n} pages, over the limit of {max_pages}")
    texts: list[str] = []
    total = 0
    for i in range(n):
        try:
            contents = pages[i].get_contents()
            size = len(contents.get_data()) if contents is not None else 0
            if size > max_page_content:
                raise ReaderError(f"{name}: page {i + 1} of the PDF has {size} bytes of "
                                  f"content, over the limit of {max_page_content}")
            page_text = pages[i].extract_text() or ""
        except ReaderError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ReaderError(f"{name}: page {i + 1} of the PDF cannot be read "
                              f"({type(exc).__name__})") from None
        total += len(page_text)
        if total > max_chars:
            raise ReaderError(f"{name}: extracted text is over {max_chars} characters")
        texts.append(page_text.rstrip("\n"))
    text = tidy_text("\n".join(texts))
    if not text.strip():
        raise ReaderError(f"{name}: {NO_TEXT_LAYER}")
    return text
