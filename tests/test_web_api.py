"""nlp.web through FastAPI's TestClient: every status code, headers, privacy, concurrency, the
file upload (/api/v1/extract), and the `opcheck serve` command's refusals."""

from __future__ import annotations

import json
import logging
import re
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fixtures import builders as B

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette's note about httpx2 is not ours to act on
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from nlp.check import Checker  # noqa: E402
from nlp.cli import app as cli_app  # noqa: E402
from nlp.cli.check import result_json  # noqa: E402
from nlp.cli.serve import is_loopback, read_token  # noqa: E402
from nlp.readers import supported_suffixes  # noqa: E402
from nlp.web import create_app  # noqa: E402
from nlp.web.guards import MAX_BODY_BYTES  # noqa: E402
from nlp.web.service import MAX_UPLOAD_BYTES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-0123456789abcdef"
SPEC_KEYS = {"verdict", "reasons", "warnings", "primary_procedure", "graft",
             "suggested_primary", "devices", "queries"}
SECRET = "Zyxwvut Quokkasaurus"  # a marker that must never come back in an error
RAW = {"Content-Type": "application/octet-stream"}
NOTE = (
    "PROCEDURE: Curettage of a unicameral bone cyst of the left distal femur with allograft.\n"
    "A 6-hole locking plate was applied to the distal femur and fixed with 5 screws.\n"
)


def dev_rows() -> list[dict]:
    with (ROOT / "corpus" / "dev.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def expected(checker: Checker, text: str, primary: str | None) -> dict:
    return json.loads(result_json(checker.check(text, primary)))


@pytest.fixture(scope="module")
def client(checker: Checker) -> Iterator[TestClient]:
    with TestClient(create_app(checker)) as c:
        yield c


@pytest.fixture(scope="module")
def secured(checker: Checker) -> Iterator[TestClient]:
    with TestClient(create_app(checker, token=TOKEN)) as c:
        yield c


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert SECRET not in response.text
    return body["error"]


def assert_security_headers(response) -> None:
    h = response.headers
    assert h["cache-control"] == "no-store"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


# ------------------------------------------------------------------ 200


def test_check_returns_the_cli_json(client: TestClient, checker: Checker) -> None:
    r = client.post("/api/v1/check", json={"text": NOTE, "primary": "27356"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert SPEC_KEYS <= set(body) and "id" not in body  # no "id" outside batch mode
    assert body == expected(checker, NOTE, "27356")
    assert body["verdict"] == "supported"


@pytest.mark.parametrize("primary", [None, "", "none", " 27355 "])
def test_primary_optional_and_normalised(client: TestClient, checker: Checker,
                                         primary: str | None) -> None:
    payload = {"text": NOTE} if primary is None else {"text": NOTE, "primary": primary}
    r = client.post("/api/v1/check", json=payload)
    assert r.status_code == 200, r.text
    assert r.json() == expected(checker, NOTE, primary)


def test_json_content_type_with_charset(client: TestClient) -> None:
    r = client.post("/api/v1/check", content=json.dumps({"text": NOTE}).encode(),
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text


def test_health_and_version(client: TestClient, checker: Checker) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    v = client.get("/api/v1/version").json()
    from nlp import __version__

    assert v["opcheck"] == __version__
    assert v["pipeline"]["version"] == checker.nlp.meta["version"]
    assert v["rulepack"]["name"] == checker.rules.name
    assert v["rulepack"]["version"] == checker.rules.version
    assert v["rulepack"]["addon_code"] == "27358"


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert {"/api/v1/check", "/api/v1/health", "/api/v1/version"} <= set(doc["paths"])
    post = doc["paths"]["/api/v1/check"]["post"]
    assert {"200", "413", "415", "422"} <= set(post["responses"])
    # no CDN-backed documentation pages
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_page_and_assets_are_local(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_security_headers(page)
    html = page.text
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert "http://" not in html and "https://" not in html  # no CDN, no external font
    for asset in ("/static/app.js", "/static/app.css", "/static/favicon.svg"):
        assert asset in html
        r = client.get(asset)
        assert r.status_code == 200, asset
        assert_security_headers(r)
        assert "https://" not in r.text
    js = client.get("/static/app.js").text
    # note text reaches the DOM via textContent only and is never stored in the browser
    assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write", js)
    assert not re.search(r"\b(localStorage|sessionStorage|indexedDB|document\.cookie)\s*[.\[=]",
                         js)


# ------------------------------------------------------------------ headers on every answer


@pytest.mark.parametrize("method,path,kwargs", [
    ("get", "/api/v1/health", {}),
    ("get", "/nope", {}),
    ("delete", "/api/v1/check", {}),
    ("post", "/api/v1/check", {"json": {"text": NOTE}}),
    ("post", "/api/v1/check", {"json": {"text": ""}}),
    ("post", "/api/v1/check", {"content": b"x", "headers": {"Content-Type": "text/plain"}}),
    ("post", "/api/v1/extract?filename=a.txt", {"content": NOTE.encode(), "headers": RAW}),
    ("post", "/api/v1/extract?filename=a.pdf", {"content": b"x", "headers": RAW}),
])
def test_security_headers_everywhere(client: TestClient, method: str, path: str,
                                     kwargs: dict) -> None:
    assert_security_headers(getattr(client, method)(path, **kwargs))


# ------------------------------------------------------------------ 401


def test_token_required_when_configured(secured: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789abc"},
                    {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        r = secured.post("/api/v1/check", json={"text": NOTE}, headers=headers)
        assert_error(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert_security_headers(r)
    for path in ("/api/v1/health", "/api/v1/version", "/openapi.json"):
        assert_error(secured.get(path), 401, "unauthorized")


def test_right_token_accepted(secured: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert secured.post("/api/v1/check", json={"text": NOTE}, headers=auth).status_code == 200
    assert secured.get("/api/v1/health", headers=auth).status_code == 200
    assert secured.get("/openapi.json", headers=auth).status_code == 200


def test_page_is_public_with_a_token(secured: TestClient) -> None:
    assert secured.get("/").status_code == 200
    assert secured.get("/static/app.js").status_code == 200


def test_token_compared_in_constant_time() -> None:
    import inspect

    from nlp.web import guards

    assert "hmac.compare_digest" in inspect.getsource(guards.BearerAuth)


# ------------------------------------------------------------------ 413


def test_body_over_limit_by_content_length(client: TestClient) -> None:
    body = json.dumps({"text": "a" * MAX_BODY_BYTES}).encode()
    assert_error(client.post("/api/v1/check", content=body,
                             headers={"Content-Type": "application/json"}),
                 413, "payload_too_large")


def test_body_over_limit_streamed_without_length(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(3):
            yield b"a" * (1024 * 1024)
        yield b'"}'

    r = client.post("/api/v1/check", content=chunks(),
                    headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "payload_too_large")


def test_body_just_under_limit_is_read(client: TestClient) -> None:
    """A body under 2 MB passes the size guard (and is then judged on its content)."""
    body = json.dumps({"text": NOTE, "primary": "x" * (MAX_BODY_BYTES // 2)}).encode()
    assert len(body) < MAX_BODY_BYTES
    assert_error(client.post("/api/v1/check", content=body,
                             headers={"Content-Type": "application/json"}),
                 422, "invalid_request")


# ------------------------------------------------------------------ 415


@pytest.mark.parametrize("ctype", [None, "text/plain", "multipart/form-data; boundary=x",
                                   "application/x-www-form-urlencoded", "application/jsonx"])
def test_wrong_content_type(client: TestClient, ctype: str | None) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.post("/api/v1/check", content=json.dumps({"text": NOTE}).encode(),
                    headers=headers)
    if ctype is None:  # httpx sends no Content-Type for raw bytes
        assert "content-type" not in r.request.headers
    assert_error(r, 415, "unsupported_media_type")


# ------------------------------------------------------------------ 422


@pytest.mark.parametrize("body,code,needle", [
    (b"{not json", "invalid_json", "malformed JSON"),
    (b'{"text": "' + SECRET.encode() + b'"', "invalid_json", "malformed JSON"),
    (b"", "invalid_request", "body"),
    (b'"just a string"', "invalid_request", "body"),
    (b"[1, 2]", "invalid_request", "body"),
    (b"{}", "invalid_request", "text"),
    (b'{"text": 42}', "invalid_request", "text"),
    (b'{"text": null}', "invalid_request", "text"),
    (b'{"text": "a", "primary": 27356}', "invalid_request", "primary"),
    (b'{"text": "a", "extra": 1}', "invalid_request", "extra"),
    (b'{"text": ""}', "bad_input", "empty"),
    (b'{"text": "   \\n  "}', "bad_input", "empty"),
    (b'{"text": "femur\\u0000plate"}', "bad_input", "NUL"),
    (b'{"text": "left femur plate", "primary": "2735"}', "bad_input", "5-digit"),
    (b'{"text": "left femur plate", "primary": "abcde"}', "bad_input", "5-digit"),
])
def test_unprocessable(client: TestClient, body: bytes, code: str, needle: str) -> None:
    r = client.post("/api/v1/check", content=body, headers={"Content-Type": "application/json"})
    err = assert_error(r, 422, code)
    assert needle in err["message"]


def test_errors_never_echo_note_text(client: TestClient, caplog: pytest.LogCaptureFixture
                                     ) -> None:
    caplog.set_level(logging.DEBUG)
    bad = [
        {"text": SECRET, "primary": "123"},
        {"text": SECRET, "unknown": SECRET},
        {"text": [SECRET]},
        {"text": {"nested": SECRET}},
    ]
    for payload in bad:
        r = client.post("/api/v1/check", json=payload)
        assert r.status_code == 422
        assert SECRET not in r.text
    r = client.post("/api/v1/check", json={"text": SECRET * 3})
    assert r.status_code == 200
    assert SECRET not in caplog.text


def test_internal_error_is_json_and_quiet(checker: Checker, caplog: pytest.LogCaptureFixture
                                         ) -> None:
    class Broken:
        nlp = checker.nlp
        rules = checker.rules

        def check(self, text: str, primary: str | None = None):
            raise RuntimeError(f"boom on {text}")

    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(Broken(), warm_up=False), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/check", json={"text": SECRET})
    assert_error(r, 500, "internal_error")
    assert_security_headers(r)
    assert SECRET not in caplog.text and "RuntimeError" in caplog.text


# ------------------------------------------------------------------ /api/v1/extract


def extract(client: TestClient, name: str, raw: bytes | Iterator[bytes], **headers: str):
    return client.post("/api/v1/extract", params={"filename": name}, content=raw,
                       headers={**RAW, **headers})


def words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{4,}", text))


@pytest.mark.parametrize("suffix,build", [(".docx", B.docx), (".pdf", B.pdf), (".rtf", B.rtf)])
def test_extract_reads_a_report_file(client: TestClient, checker: Checker, suffix: str,
                                     build) -> None:
    row = dev_rows()[0]
    r = extract(client, f"op-note{suffix}", build(row["text"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert_security_headers(r)
    body = r.json()
    assert body["errors"] == []
    [doc] = body["documents"]
    assert set(doc) == {"id", "text"} and doc["id"] == "op-note"
    assert words(row["text"]) <= words(doc["text"])  # every key word of the note came through
    assert "femur" in doc["text"] or "femor" in doc["text"]
    # the extracted text checks like the plain text
    got = client.post("/api/v1/check", json={"text": doc["text"], "primary": row["primary"]})
    assert got.json()["verdict"] == expected(checker, row["text"], row["primary"])["verdict"]


def test_extract_plain_text_and_fhir_bundle(client: TestClient) -> None:
    r = extract(client, "note.txt", NOTE.encode("cp1252"))
    assert r.status_code == 200 and r.json()["documents"] == [{"id": "note", "text": NOTE}]
    bundle = B.bundle([B.document_reference("dr-1", NOTE.encode()),
                       B.document_reference("dr-2", b"Right femur: two screws.")])
    r = extract(client, "export.json", B.fhir(bundle))
    assert r.status_code == 200, r.text
    assert [d["id"] for d in r.json()["documents"]] == ["dr-1", "dr-2"]
    assert "TESTPATIENT" not in r.text  # the FHIR subject is not carried


def test_extract_hl7_gives_one_document_per_message(client: TestClient) -> None:
    first, second = dev_rows()[:2]
    raw = B.hl7_file([B.hl7_message(first["text"], "OP-1", control_id="1"),
                      B.hl7_message(second["text"], "OP-2", control_id="2")])
    r = extract(client, "feed.hl7", raw)
    assert r.status_code == 200, r.text
    docs = r.json()["documents"]
    assert [d["id"] for d in docs] == ["OP-1", "OP-2"]
    assert words(first["text"]) <= words(docs[0]["text"])
    assert words(second["text"]) <= words(docs[1]["text"])
    assert "MRN0042" not in r.text and "TESTPATIENT" not in r.text  # no PID data
    assert r.json()["errors"] == []


def test_extract_reports_an_unreadable_message_beside_the_others(client: TestClient) -> None:
    adt = ("MSH|^~\\&|EHR|HOSP|CDI|HOSP|20240102||ADT^A01|9|P|2.5.1\r"
           f"PID|1||{SECRET}\rOBX|1|TX|x||{SECRET}||||||F\r")
    raw = B.hl7_file([B.hl7_message(NOTE, "OP-1"), adt,
                      B.hl7_message(NOTE, "OP-3", control_id="3")])
    r = extract(client, "feed.hl7", raw)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [d["id"] for d in body["documents"]] == ["OP-1", "OP-3"]
    [err] = body["errors"]
    assert err["part"] and "message 2" in err["message"]
    assert SECRET not in r.text


@pytest.mark.parametrize("name,raw", [
    ("x.pdf", SECRET.encode()),
    ("x.pdf", b"%PDF-1.4\n" + SECRET.encode()),
    ("x.docx", SECRET.encode()),
    ("x.rtf", SECRET.encode()),
    ("x.hl7", SECRET.encode()),
    ("x.json", b'{"text": "' + SECRET.encode() + b'"'),
    ("x.json", json.dumps({"resourceType": "Patient", "name": SECRET}).encode()),
    ("x.txt", b""),
    ("x.txt", b"\x00\x01\x02" * 100),
    ("scan.pdf", B.pdf(None)),
])
def test_extract_unreadable_file_is_422_without_note_text(client: TestClient, name: str,
                                                          raw: bytes) -> None:
    err = assert_error(extract(client, name, raw), 422, "unreadable_file")
    assert name in err["message"]


@pytest.mark.parametrize("name", ["report.doc", "report.xyz", "README", "report.txt.exe",
                                  "a/.docx"])
def test_extract_unsupported_suffix_is_422(client: TestClient, name: str) -> None:
    err = assert_error(extract(client, name, SECRET.encode()), 422, "unsupported_file_type")
    assert ".docx" in err["message"]  # names what is supported


def test_extract_needs_a_filename(client: TestClient) -> None:
    r = client.post("/api/v1/extract", content=NOTE.encode(), headers=RAW)
    assert "filename" in assert_error(r, 422, "invalid_request")["message"]
    assert_error(extract(client, "x" * 300 + ".txt", NOTE.encode()), 422, "invalid_request")


def test_extract_filename_is_reduced_to_its_last_component(client: TestClient) -> None:
    r = extract(client, "C:\\Users\\cdi\\op-note.docx", B.docx(NOTE))
    assert r.status_code == 200 and r.json()["documents"][0]["id"] == "op-note"
    r = extract(client, "../../etc/op\x07note.txt", NOTE.encode())
    assert r.status_code == 200 and r.json()["documents"][0]["id"] == "opnote"


@pytest.mark.parametrize("ctype", [None, "application/json", "text/plain",
                                   "multipart/form-data; boundary=x", "application/pdf"])
def test_extract_wrong_content_type(client: TestClient, ctype: str | None) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.post("/api/v1/extract", params={"filename": "a.txt"}, content=NOTE.encode(),
                    headers=headers)
    err = assert_error(r, 415, "unsupported_media_type")
    assert "application/octet-stream" in err["message"]


def test_extract_body_over_the_raw_limit_is_413(client: TestClient) -> None:
    raw = b"a" * (MAX_UPLOAD_BYTES + 1)
    err = assert_error(extract(client, "big.txt", raw), 413, "payload_too_large")
    assert "20 MB" in err["message"]
    # a binary body within the raw limit is not held to the JSON limit (nor to UTF-8)
    ok = extract(client, "big.docx", B.docx(NOTE) + b"\xff" * MAX_BODY_BYTES)
    assert ok.status_code == 422 and ok.json()["error"]["code"] == "unreadable_file"


def test_extract_streamed_body_over_the_limit_is_413(checker: Checker) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"a" * 400

    with TestClient(create_app(checker, max_upload=1000, warm_up=False)) as small:
        r = extract(small, "big.txt", chunks())
        assert "content-length" not in r.request.headers
        err = assert_error(r, 413, "payload_too_large")
        assert "1000 byte limit" in err["message"]
        assert extract(small, "ok.txt", NOTE.encode()).status_code == 200


def test_extract_needs_the_token(secured: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789abc"}):
        r = extract(secured, "op.docx", B.docx(NOTE), **headers)
        assert_error(r, 401, "unauthorized")
        assert_security_headers(r)
    r = extract(secured, "op.docx", B.docx(NOTE), Authorization=f"Bearer {TOKEN}")
    assert r.status_code == 200 and r.json()["documents"][0]["text"].strip() == NOTE.strip()


def test_extract_errors_are_quiet_in_the_log(client: TestClient,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name, raw in [("x.pdf", SECRET.encode()), ("x.txt", SECRET.encode()),
                      ("x.docx", B.docx(SECRET))]:
        extract(client, name, raw)
    assert SECRET not in caplog.text


def test_extract_documented_in_openapi(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/api/v1/extract"]["post"]
    assert {"200", "401", "413", "415", "422"} <= set(post["responses"])
    assert set(post["requestBody"]["content"]) == {"application/octet-stream"}
    [param] = post["parameters"]
    assert param["name"] == "filename" and param["in"] == "query" and param["required"]
    pattern = re.compile(param["schema"]["pattern"])
    for suffix in supported_suffixes():
        assert pattern.search("a" + suffix) and pattern.search("A" + suffix.upper())
    assert not pattern.search("a.doc") and not pattern.search("a.txt.exe")
    result = doc["components"]["schemas"]["ExtractResult"]
    assert {"documents", "errors"} <= set(result["properties"])


def test_page_offers_every_registered_format(client: TestClient) -> None:
    accept = re.search(r'<input type="file" id="file" accept="([^"]*)"', client.get("/").text)
    assert accept and set(accept.group(1).split(",")) == set(supported_suffixes())


def test_unavailable_before_startup(checker: Checker) -> None:
    c = TestClient(create_app(checker))  # not entered: the lifespan has not run
    assert_error(c.get("/api/v1/health"), 503, "unavailable")


# ------------------------------------------------------------------ concurrency


class Spy:
    """A Checker that records how many calls overlap (the pipeline must never be shared)."""

    def __init__(self, checker: Checker) -> None:
        self.inner, self.nlp, self.rules = checker, checker.nlp, checker.rules
        self.active = self.peak = self.calls = 0
        self.lock = threading.Lock()

    def check(self, text: str, primary: str | None = None):
        with self.lock:
            self.active += 1
            self.calls += 1
            self.peak = max(self.peak, self.active)
        try:
            return self.inner.check(text, primary)
        finally:
            with self.lock:
                self.active -= 1


def test_200_requests_from_8_clients_match_the_checker(checker: Checker) -> None:
    rows = dev_rows()
    jobs = [(rows[i % len(rows)]["text"], rows[i % len(rows)]["primary"]) for i in range(200)]
    want = {(t, p): expected(checker, t, p) for t, p in set(jobs)}
    spy = Spy(checker)
    with TestClient(create_app(spy, warm_up=False)) as shared:  # one lifespan, one pipeline
        def one(job: tuple[str, str | None]) -> bool:
            r = shared.post("/api/v1/check", json={"text": job[0], "primary": job[1]})
            return r.status_code == 200 and r.json() == want[job]

        with ThreadPoolExecutor(max_workers=8) as pool:  # 8 concurrent clients
            ok = list(pool.map(one, jobs))
    assert len(ok) == 200 and all(ok), f"{ok.count(False)} answers differ"
    assert spy.calls == 200
    assert spy.peak == 1  # the pipeline was never used by two threads at once


# ------------------------------------------------------------------ opcheck serve

runner = CliRunner()


@pytest.mark.parametrize("host,loop", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                       ("127.0.0.2", True), ("0.0.0.0", False),
                                       ("192.168.1.5", False), ("example.org", False)])
def test_is_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


def test_serve_refuses_other_hosts_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPCHECK_TOKEN", raising=False)
    called = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: called.append((a, k)))
    r = runner.invoke(cli_app, ["serve", "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "needs a token" in r.stderr
    assert not called


def test_serve_default_binds_loopback(monkeypatch: pytest.MonkeyPatch,
                                      cli_checker: Checker) -> None:
    monkeypatch.delenv("OPCHECK_TOKEN", raising=False)
    called = []
    monkeypatch.setattr("uvicorn.run", lambda app, **k: called.append(k))
    r = runner.invoke(cli_app, ["serve"])
    assert r.exit_code == 0, r.output
    assert called[0]["host"] == "127.0.0.1" and called[0]["port"] == 8358
    assert called[0]["access_log"] is False


def test_serve_with_token_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                               cli_checker: Checker) -> None:
    monkeypatch.delenv("OPCHECK_TOKEN", raising=False)
    called = []
    monkeypatch.setattr("uvicorn.run", lambda app, **k: called.append((app, k)))
    tf = tmp_path / "token"
    tf.write_text(TOKEN + "\n")
    r = runner.invoke(cli_app, ["serve", "--host", "0.0.0.0", "--token-file", str(tf),
                                "--port", "9999"])
    assert r.exit_code == 0, r.output
    app, kwargs = called[0]
    assert kwargs["host"] == "0.0.0.0" and kwargs["port"] == 9999
    with TestClient(app) as c:
        assert c.get("/api/v1/health").status_code == 401
        assert c.get("/api/v1/health",
                     headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_read_token_sources(tmp_path: Path) -> None:
    from nlp.check import InputError

    assert read_token(None, {}) is None
    assert read_token(None, {"OPCHECK_TOKEN": TOKEN}) == TOKEN
    tf = tmp_path / "t"
    tf.write_text(f"  {TOKEN}\n")
    assert read_token(str(tf), {"OPCHECK_TOKEN": "other-token-9876543210"}) == TOKEN
    tf.write_text("short")
    with pytest.raises(InputError, match="at least"):
        read_token(str(tf), {})
    with pytest.raises(InputError, match="cannot read"):
        read_token(str(tmp_path / "missing"), {})
