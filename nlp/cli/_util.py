"""What every command shares: output format, one-line errors, the checker loaded once.

Imports stay lazy here and in every command module: `opcheck --version` or a bad option must
not pay for spaCy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from ..check import Checker

# Options several commands share, declared once.
ModelOption = Annotated[str | None, typer.Option(
    "--model", metavar="DIR", help="Saved pipeline (default: models/opcheck-27358).")]
RulepackOption = Annotated[str | None, typer.Option(
    "--rulepack", metavar="FILE", help="Rule pack YAML (default: the shipped 27358 one).")]

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
MAX_MESSAGE = 400


class Format(str, Enum):
    text = "text"
    json = "json"


def one_line(message: object) -> str:
    s = " ".join(str(message).split())
    return s if len(s) <= MAX_MESSAGE else s[: MAX_MESSAGE - 3] + "..."


def warn(message: object) -> None:
    typer.echo(f"opcheck: error: {one_line(message)}", err=True)


def fail(message: object, code: int = EXIT_BAD_INPUT) -> NoReturn:
    warn(message)
    raise typer.Exit(code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """InputError -> exit 2, anything unexpected -> exit 1; one line on stderr, no traceback."""
    from ..check import InputError

    try:
        yield
    except typer.Exit:
        raise
    except InputError as exc:
        fail(exc, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        fail(f"internal error ({type(exc).__name__}): {exc}", EXIT_FAILED)


def load_rules(rulepack: str | None):  # -> RulePack
    """The rule pack, with a missing or invalid file reported as bad input."""
    from pydantic import ValidationError

    from ..check import InputError
    from ..resources import load_rulepack

    try:
        return load_rulepack(rulepack)
    except FileNotFoundError:
        raise InputError(f"rule pack not found: {rulepack}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"rule pack {rulepack} is invalid: {where}: {first['msg']} "
                         f"({exc.error_count()} error(s))") from None
    except Exception as exc:  # yaml errors and the like
        raise InputError(f"rule pack {rulepack} cannot be read: {one_line(exc)}") from None


_CHECKERS: dict[tuple[str | None, str | None], Checker] = {}


def load_checker(model: str | None = None, rulepack: str | None = None) -> Checker:
    """A Checker for (model, rulepack), built once per process."""
    from ..check import Checker, InputError

    key = (model, rulepack)
    if key not in _CHECKERS:
        load_rules(rulepack)  # report a bad rule pack as bad input before loading spaCy
        try:
            _CHECKERS[key] = Checker(model=model, rulepack=rulepack)
        except FileNotFoundError:
            raise InputError(f"no opcheck pipeline at {model} (build one with "
                             "`opcheck build --out DIR`)") from None
        except OSError as exc:
            raise InputError(f"cannot load the pipeline at {model}: {one_line(exc)}") from None
    return _CHECKERS[key]
