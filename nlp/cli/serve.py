"""`opcheck serve`: the CDI workbench (web page + JSON API) on 127.0.0.1:8358."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from . import _util
from ._util import ModelOption, RulepackOption, reported_errors

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8358
TOKEN_ENV = "OPCHECK_TOKEN"
MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The bearer token from --token-file, else $OPCHECK_TOKEN; None when neither is set."""
    from ..check import InputError

    env = os.environ if environ is None else environ
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read token file {token_file}: "
                             f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from None
        source = f"token file {token_file}"
    elif env.get(TOKEN_ENV):
        token, source = env[TOKEN_ENV].strip(), f"${TOKEN_ENV}"
    else:
        return None
    if len(token) < MIN_TOKEN_CHARS or not token.isascii() or not token.isprintable() \
            or any(c.isspace() for c in token):
        raise InputError(f"{source}: the token must be at least {MIN_TOKEN_CHARS} printable "
                         "ASCII characters without spaces")
    return token


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None,
          model: str | None = None, rulepack: str | None = None) -> None:
    """Load the checker once, then run uvicorn until interrupted (no access log: a request
    line is the most a log could say, and we do not even say that)."""
    import uvicorn

    from ..check import InputError
    from ..web import create_app

    if not is_loopback(host) and not token:
        raise InputError(f"serving on {host} (not loopback) needs a token: --token-file FILE "
                         f"or ${TOKEN_ENV}")
    if not 0 < port < 65536:
        raise InputError(f"port {port} is out of range")
    checker = _util.load_checker(model, rulepack)
    app = create_app(checker, token=token)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"opcheck workbench on http://{shown}:{port}/"
               + (" (bearer token required)" if token else ""), err=True)
    uvicorn.run(app, host=host, port=port, access_log=False, server_header=False,
                proxy_headers=False, log_level="warning")


def serve_cli(
    host: Annotated[str, typer.Option(
        "--host", help="Interface to bind. Anything but loopback requires a token.")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = DEFAULT_PORT,
    token_file: Annotated[str | None, typer.Option(
        "--token-file", metavar="FILE",
        help=f"File holding the bearer token API clients must send (else ${TOKEN_ENV}).")
    ] = None,
    model: ModelOption = None,
    rulepack: RulepackOption = None,
) -> None:
    """Serve the CDI workbench: a local web page and JSON API for pre-checking a note.

    Binds 127.0.0.1:8358 by default. Binding any other interface requires a bearer token
    (--token-file or $OPCHECK_TOKEN); the API then answers 401 without it. Note text is never
    logged, stored, or echoed in an error.
    """
    with reported_errors():
        serve(host, port, read_token(token_file), model, rulepack)
