"""Every CloudWatch Logs operation gets an AWS-shaped answer, and docs/operations.md is true.

Each operation of botocore's `logs` model is sent, signed, with the body `{}`: implemented ones
answer (most with a validation error), the others with 501 NotImplementedException; none may
answer 500 or leak a traceback.

docs/operations.md is generated from the same facts. After implementing an operation, run

    .venv/bin/python -m tests.protocol.test_operation_coverage

to rewrite it; the tests below fail while it is stale.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
import pytest

from owl.services.logs import LOGS
from tests.conftest import OwlServer
from tests.signing import call

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
IMPLEMENTED, NOT_YET = "implemented", "not yet"
_ROW = re.compile(r"^\| `?(?P<op>[A-Za-z0-9]+)`? \| (?P<status>implemented|not yet) \|$")


def model_operations() -> list[str]:
    model = botocore.session.get_session().get_service_model("logs")
    return sorted(model.operation_names)


OPERATIONS = model_operations()


def render() -> str:
    """The whole of docs/operations.md."""
    implemented = LOGS.implemented()
    rows = [f"| `{op}` | {IMPLEMENTED if op in implemented else NOT_YET} |" for op in OPERATIONS]
    done = sum(op in implemented for op in OPERATIONS)
    return "\n".join(
        [
            "# CloudWatch Logs operations",
            "",
            "Every operation of the CloudWatch Logs API (`Logs_20140328`, as botocore's `logs`",
            "model lists them) and whether owl implements it. An operation that is *not yet*",
            "implemented answers `501 NotImplementedException`, which SDKs do not retry; it",
            "still checks the request's signature first.",
            "",
            f"owl implements {done} of {len(OPERATIONS)} operations.",
            "",
            "This file is generated (`python -m tests.protocol.test_operation_coverage`), and",
            "`tests/protocol/test_operation_coverage.py` fails when it no longer matches the",
            "code.",
            "",
            "| Operation | Status |",
            "|---|---|",
            *rows,
            "",
        ]
    )


def documented() -> list[tuple[str, str]]:
    """(operation, status) of each table row of docs/operations.md, in file order."""
    rows = []
    for line in DOC.read_text().splitlines():
        m = _ROW.match(line.strip())
        if m is not None:
            rows.append((m["op"], m["status"]))
    return rows


# --- docs/operations.md -----------------------------------------------------------------------


def test_implemented_operations_are_real_operations() -> None:
    assert LOGS.implemented() <= set(OPERATIONS)


def test_docs_list_every_operation_once() -> None:
    ops = [op for op, _ in documented()]
    assert len(ops) == len(set(ops)), "an operation is listed twice"
    assert sorted(ops) == OPERATIONS


def test_docs_say_which_operations_are_implemented() -> None:
    said = {op for op, status in documented() if status == IMPLEMENTED}
    assert said == LOGS.implemented(), (
        "docs/operations.md is stale; run `python -m tests.protocol.test_operation_coverage`"
    )


def test_docs_are_exactly_the_generated_text() -> None:
    assert DOC.read_text() == render()


# --- the wire ---------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_answers_like_aws(owl_server: OwlServer, operation: str) -> None:
    resp = call(
        owl_server.endpoint,
        operation,
        {},
        access_key_id=owl_server.access_key_id,
        secret_access_key=owl_server.secret_access_key,
    )
    assert resp.headers.get("x-amzn-requestid"), resp.headers
    assert b"Traceback" not in resp.body
    if operation not in LOGS.implemented():
        assert resp.status == 501, resp.body
        assert resp.error_type == "NotImplementedException"
        assert operation in (resp.message or "")
        assert resp.headers["x-amzn-errortype"] == "NotImplementedException"
        return
    assert resp.status < 500, resp.body
    if resp.status == 200:
        assert resp.body == b"" or isinstance(json.loads(resp.body), dict)
    else:
        body = json.loads(resp.body)
        assert set(body) >= {"__type"}
        assert resp.headers["content-type"] == "application/x-amz-json-1.1"
        assert resp.headers["x-amzn-errortype"] == body["__type"]


def test_unimplemented_operations_still_check_the_signature(owl_server: OwlServer) -> None:
    missing = [op for op in OPERATIONS if op not in LOGS.implemented()]
    if not missing:
        pytest.skip("every operation is implemented")
    resp = call(
        owl_server.endpoint,
        missing[0],
        {},
        access_key_id=owl_server.access_key_id,
        secret_access_key="wrong",
    )
    assert (resp.status, resp.error_type) == (400, "InvalidSignatureException")


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render())
    print(f"wrote {DOC}")
