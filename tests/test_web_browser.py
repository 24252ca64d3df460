"""The workbench page in a real browser: headless Debian Chromium driven by Playwright against
a uvicorn server this test starts on a free loopback port.

Set OPCHECK_UPDATE_SCREENSHOT=1 to also rewrite docs/screenshot-workbench.png.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fixtures import builders as B

from nlp.check import Checker
from nlp.cli.check import result_json

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot-workbench.png"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 900}
BANNER = {"supported": "SUPPORTED", "query": "QUERY", "not_supported": "NOT SUPPORTED"}

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; `make browser` does it)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")


def dev_rows() -> list[dict]:
    with (ROOT / "corpus" / "dev.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pick(checker: Checker, verdict: str, need_devices: bool = True) -> tuple[dict, dict]:
    """The first dev report with this verdict (and applied devices, if asked)."""
    for row in dev_rows():
        result = json.loads(result_json(checker.check(row["text"], row["primary"])))
        if result["verdict"] == verdict and (result["devices"] or not need_devices):
            return row, result
    raise AssertionError(f"no dev report with verdict {verdict}")


@contextmanager
def running(app) -> Iterator[str]:
    """uvicorn serving `app` in a thread on a free loopback port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # a free loopback port, held until uvicorn takes it
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                        lifespan="on"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def server(checker: Checker) -> Iterator[str]:
    from nlp.web import create_app

    with running(create_app(checker)) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str):
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.problems = []  # console errors, CSP violations, page errors, off-host requests
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(m.text))
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    pg.on("request", lambda r: r.url.startswith(server) or pg.problems.append(r.url))
    pg.goto(server + "/")
    pg.wait_for_selector("#versions:has-text('opcheck')")
    yield pg
    context.close()


def run_check(pg, row: dict) -> None:
    pg.fill("#note", row["text"])
    pg.fill("#primary", row["primary"] or "")
    pg.click("#check")
    pg.wait_for_selector("#banner[data-verdict]")


def boxes(pg) -> dict:
    return pg.evaluate("""() => Object.fromEntries(
        ['#banner', '#checklist', '.table-wrap', '.reasons-wrap', '#query', '#note-view']
          .map(s => { const r = document.querySelector(s).getBoundingClientRect();
                      return [s, [r.x, r.y, r.width, r.height]]; }))""")


def checklist(pg) -> dict[str, str]:
    return pg.evaluate("""() => Object.fromEntries(Array.from(
        document.querySelectorAll('#checklist li'), li => [li.dataset.item, li.dataset.state]))""")


def expected_checklist(result: dict) -> dict[str, str]:
    codes = {r["code"] for r in result["reasons"]}
    applied = any(d["status"] == "applied" for d in result["devices"])
    assessed = "ok" if applied else "na"
    return {
        "type": "missing" if codes & {"NO_FIXATION_APPLIED", "DEVICE_TYPE_MISSING"} else assessed,
        "count": "missing" if "DEVICE_COUNT_MISSING" in codes else assessed,
        "site": "missing" if codes & {"DEVICE_SITE_MISSING", "FIXATION_NOT_FEMUR"} else assessed,
        "side": "missing" if "LATERALITY_MISSING" in codes
        else ("ok" if applied or "DEVICE_TYPE_MISSING" in codes else "na"),
        "primary": "missing" if codes & {"PRIMARY_NOT_QUALIFYING", "CLAIMED_PRIMARY_INVALID"}
        else "ok",
    }


def showcase(checker: Checker) -> tuple[dict, dict]:
    """The dev query report with the most reasons, then devices: the richest page to show."""
    rows = [(row, json.loads(result_json(checker.check(row["text"], row["primary"]))))
            for row in dev_rows()]
    return max((x for x in rows if x[1]["verdict"] == "query" and x[1]["devices"]),
               key=lambda x: (len(x[1]["reasons"]), len(x[1]["devices"])))


def test_query_report(page, checker: Checker, tmp_path: Path) -> None:
    row, result = showcase(checker)
    before = boxes(page)
    run_check(page, row)

    assert page.inner_text("#banner").startswith("QUERY")
    assert boxes(page) == before  # reserved space: nothing moved when the result arrived
    for i, _ in enumerate(result["devices"], 1):
        n = page.locator(f'#note-view a.hl[data-targets~="device-{i}"]').count()
        assert n >= 1, f"device {i} has no highlight"
        assert page.locator(f"#device-{i}").count() == 1
    assert page.locator("#device-rows tr").count() == len(result["devices"])
    assert checklist(page) == expected_checklist(result)
    assert "missing" in checklist(page).values()
    query = page.input_value("#query")
    assert result["queries"] and all(q in query for q in result["queries"])
    assert not page.is_disabled("#copy")
    # the note view shows exactly the note (textContent, nothing injected)
    assert page.eval_on_selector("#note-view", "e => e.textContent") == row["text"]
    for r in result["reasons"]:
        assert r["code"] in page.inner_text("#reasons")

    page.screenshot(path=str(tmp_path / "workbench-query.png"))
    assert (tmp_path / "workbench-query.png").stat().st_size > 0
    if os.environ.get("OPCHECK_UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOT))
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.problems == []


def test_highlight_links_to_device_row_and_back(page, checker: Checker) -> None:
    row, result = pick(checker, "supported")
    run_check(page, row)
    assert page.inner_text("#banner").startswith("SUPPORTED")
    assert all(v == "ok" for v in checklist(page).values())
    assert page.input_value("#query") == "" and page.is_disabled("#copy")
    page.locator('#note-view a.hl[data-targets~="device-1"]').first.click()
    assert page.evaluate("document.activeElement.id") == "device-1"
    page.click("#device-2 button")
    assert "device-2" in page.evaluate("document.activeElement.dataset.targets")
    assert page.url.endswith("/")  # no note-derived fragment in the URL or history
    assert page.problems == []


def test_not_applied_trigger_is_struck_through(page, checker: Checker) -> None:
    for row in dev_rows():  # the first report with removed hardware
        result = json.loads(result_json(checker.check(row["text"], row["primary"])))
        if any(d["status"] == "removed" for d in result["devices"]):
            break
    else:
        pytest.fail("no dev report with removed hardware")
    run_check(page, row)
    assert page.inner_text("#banner").startswith(BANNER[result["verdict"]])
    assert checklist(page) == expected_checklist(result)
    triggers = page.locator("#note-view a.hl-trigger")
    assert triggers.count() >= 1
    assert "line-through" in triggers.first.evaluate(
        "e => getComputedStyle(e).textDecorationLine")
    assert any("remov" in t.lower() for t in triggers.all_inner_texts())
    assert page.locator("#device-rows tr.inactive").count() >= 1


def test_keyboard_only(page, checker: Checker) -> None:
    row, _ = pick(checker, "query")
    page.focus("#note")
    page.keyboard.insert_text(row["text"])
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
    assert order == ["file", "primary", "check"]
    page.keyboard.press("Enter")
    page.wait_for_selector("#banner[data-verdict]")
    assert page.evaluate("document.activeElement.id") == "banner"
    # visible focus ring on keyboard focus
    page.focus("#note")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.eval_on_selector("#note", "e => getComputedStyle(e).outlineStyle") != "none"


def test_errors_are_shown_not_stored(page) -> None:
    page.click("#check")
    assert "Paste or load" in page.inner_text("#status")
    page.fill("#note", "Left femur.")
    page.fill("#primary", "12")
    page.click("#check")
    page.wait_for_selector("#status.status-error")
    assert "5-digit" in page.inner_text("#status")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_file_upload_is_read_client_side(page, tmp_path: Path, checker: Checker) -> None:
    row, _ = pick(checker, "query")
    f = tmp_path / "report.txt"
    f.write_text(row["text"], encoding="utf-8")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.method + " " + r.url))
    page.set_input_files("#file", str(f))
    # poll from Python: wait_for_function evaluates a string, which the page's CSP forbids
    for _ in range(100):
        if page.input_value("#note"):
            break
        page.wait_for_timeout(50)
    assert page.input_value("#note") == row["text"]
    assert requests == []  # read with FileReader: nothing uploaded until Check


def wait_until(pg, ready, what: str, timeout_ms: int = 10_000) -> None:
    """Poll from Python: wait_for_function evaluates a string, which the page's CSP forbids."""
    for _ in range(timeout_ms // 50):
        if ready():
            return
        pg.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def test_docx_upload_is_read_by_the_server(page, tmp_path: Path, checker: Checker) -> None:
    row, result = pick(checker, "query")
    f = tmp_path / "op-note.docx"
    f.write_bytes(B.docx(row["text"]))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.method + " " + r.url))
    page.set_input_files("#file", str(f))
    wait_until(page, lambda: page.input_value("#note"), "the extracted text")
    assert any(r.startswith("POST ") and "/api/v1/extract?filename=op-note.docx" in r
               for r in requests)
    text = page.input_value("#note")
    for line in row["text"].split("\n"):  # every line of the report came through
        assert line.strip() in text
    assert "File loaded" in page.inner_text("#status")
    assert page.is_hidden("#doc-field")  # one report: nothing to pick
    page.fill("#primary", row["primary"] or "")
    page.click("#check")
    page.wait_for_selector("#banner[data-verdict]")
    # the same banner and checklist as for the plain text report
    assert page.get_attribute("#banner", "data-verdict") == result["verdict"]
    assert page.inner_text("#banner").startswith(BANNER[result["verdict"]])
    assert checklist(page) == expected_checklist(result)
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.problems == []


def test_hl7_upload_offers_each_message(page, tmp_path: Path, checker: Checker) -> None:
    (first, _), (second, result) = pick(checker, "query"), pick(checker, "supported")
    f = tmp_path / "feed.hl7"
    f.write_bytes(B.hl7_file([B.hl7_message(first["text"], "OP-1", control_id="1"),
                              B.hl7_message(second["text"], "OP-2", control_id="2")]))
    page.set_input_files("#file", str(f))
    wait_until(page, lambda: page.input_value("#note"), "the first message's text")
    assert page.is_visible("#doc-field")
    assert page.eval_on_selector_all("#doc option", "os => os.map(o => o.textContent)") == [
        "OP-1", "OP-2"]
    assert "2 reports read" in page.inner_text("#status")
    assert first["text"].split("\n")[0].strip() in page.input_value("#note")
    page.select_option("#doc", label="OP-2")
    assert second["text"].split("\n")[0].strip() in page.input_value("#note")
    page.fill("#primary", second["primary"] or "")
    page.click("#check")
    page.wait_for_selector("#banner[data-verdict]")
    assert page.inner_text("#banner").startswith(BANNER[result["verdict"]])
    assert page.problems == []


def test_unreadable_upload_is_reported_in_the_status(page, tmp_path: Path) -> None:
    page.fill("#note", "Left femur.")
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"not a PDF at all")
    page.set_input_files("#file", str(f))
    page.wait_for_selector("#status.status-error")
    assert "scan.pdf: not a PDF file" in page.inner_text("#status")
    assert page.input_value("#note") == "Left femur."  # left as it was
    page.set_input_files("#file", str(_write(tmp_path / "notes.xyz", b"x")))
    wait_until(page, lambda: "unsupported file type" in page.inner_text("#status"),
               "the unsupported-type message")
    assert not page.is_disabled("#file")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_token_is_asked_for_and_kept_in_memory(browser, checker: Checker) -> None:
    from nlp.web import create_app

    token = "browser-token-0123456789abcdef"
    row, _ = pick(checker, "supported")
    with running(create_app(checker, token=token)) as base:
        context = browser.new_context(viewport=VIEWPORT)
        pg = context.new_page()
        pg.goto(base + "/")
        pg.wait_for_selector("#token-field:not([hidden])")  # the API said 401
        pg.fill("#note", row["text"])
        pg.fill("#token", "wrong-token-0123456789abcdef")
        pg.click("#check")
        pg.wait_for_selector("#status.status-error")
        assert "bearer token" in pg.inner_text("#status")
        pg.fill("#token", token)
        pg.click("#check")
        pg.wait_for_selector("#banner[data-verdict]")
        assert pg.inner_text("#banner").startswith("SUPPORTED")
        assert pg.evaluate("localStorage.length + sessionStorage.length") == 0
        assert context.cookies() == []
        context.close()
