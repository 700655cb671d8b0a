"""SigV4 verification: botocore signs a request as an SDK would, sigv4.verify must agree."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from owl.protocol.errors import AwsError
from owl.protocol.sigv4 import (
    Principal,
    SignedScope,
    check_date,
    parse_authorization,
    unverified_principal,
    verify,
)
from tests.signing import signed_request

URL = "http://127.0.0.1:4588/"
HOST = "127.0.0.1:4588"
AKID = "AKIAEXAMPLEEXAMPLE01"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT = "123456789012"
NOW = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
SKEW = 900
BODY = b'{"logGroupName": "/app"}'
TARGET = "Logs_20140328.CreateLogGroup"

EXAMPLE_AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/logs/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
)


def keys(*known: tuple[str, str, str]) -> Callable[[str], tuple[str, str] | None]:
    table = {akid: (secret, account) for akid, secret, account in known}
    return table.get


def sign(
    body: bytes = BODY,
    *,
    when: dt.datetime = NOW,
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
) -> AWSRequest:
    return signed_request(
        URL,
        body,
        access_key_id=AKID,
        secret_access_key=secret,
        target=TARGET,
        when=when,
        headers=headers,
    )


def wire_headers(request: AWSRequest) -> list[tuple[str, str]]:
    """The headers as the server sees them: what botocore set plus Host from the URL."""
    return [("host", HOST), *((k.lower(), v) for k, v in request.headers.items())]


def run_verify(
    request: AWSRequest,
    *,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    now: dt.datetime = NOW,
    known: Callable[[str], tuple[str, str] | None] | None = None,
) -> Principal:
    return verify(
        method="POST",
        url=URL,
        headers=wire_headers(request) if headers is None else headers,
        body=request.body if body is None else body,
        secret_of=keys((AKID, SECRET, ACCOUNT)) if known is None else known,
        now=now,
        skew_s=SKEW,
    )


def error_of(fn: Callable[[], object]) -> AwsError:
    with pytest.raises(AwsError) as info:
        fn()
    return info.value


# --- parse_authorization ---------------------------------------------------------------------


def test_parse_authorization_splits_the_three_parts() -> None:
    scope = parse_authorization(EXAMPLE_AUTH)
    assert scope == SignedScope(
        access_key_id="AKIDEXAMPLE",
        date="20150830",
        region="us-east-1",
        service="logs",
        signed_headers=("content-type", "host", "x-amz-date", "x-amz-target"),
        signature="5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    )


def test_parse_authorization_of_a_botocore_header() -> None:
    request = sign()
    scope = parse_authorization(request.headers["Authorization"])
    assert (scope.access_key_id, scope.date, scope.region, scope.service) == (
        AKID,
        "20240506",
        "us-east-1",
        "logs",
    )
    assert "host" in scope.signed_headers and "x-amz-target" in scope.signed_headers


def test_parse_authorization_tolerates_spacing_and_case_of_header_names() -> None:
    scope = parse_authorization(
        "  AWS4-HMAC-SHA256 Credential=AK/20150830/eu-west-1/logs/aws4_request,"
        "SignedHeaders=Host;X-Amz-Date ,  Signature=abc  "
    )
    assert scope.region == "eu-west-1"
    assert scope.signed_headers == ("host", "x-amz-date")
    assert scope.signature == "abc"


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
            ["Credential"],
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/logs/aws4_request, Signature=abc",
            ["SignedHeaders"],
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/logs/aws4_request, "
            "SignedHeaders=host",
            ["Signature"],
        ),
        ("AWS4-HMAC-SHA256 ", ["Credential", "Signature", "SignedHeaders"]),
    ],
)
def test_parse_authorization_names_every_missing_part(header: str, missing: list[str]) -> None:
    error = error_of(lambda: parse_authorization(header))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    sentences = " ".join(f"Authorization header requires '{k}' parameter." for k in missing)
    assert error.message == f"{sentences} Authorization={header.strip()}"


def test_parse_authorization_refuses_a_token_without_equal_sign() -> None:
    header = "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/logs/aws4_request, garbage"
    error = error_of(lambda: parse_authorization(header))
    assert error.code == "IncompleteSignatureException"
    assert error.message == (
        "'garbage' not a valid key=value pair (missing equal-sign) in Authorization header: "
        f"'{header}'."
    )


@pytest.mark.parametrize(
    "header",
    [
        "AWS4-HMAC-SHA1 Credential=AK/20150830/us-east-1/logs/aws4_request, "
        "SignedHeaders=host, Signature=abc",
        "Bearer abc",
        "AWS AKIDEXAMPLE:signature",
        "",
    ],
)
def test_parse_authorization_refuses_other_algorithms(header: str) -> None:
    assert error_of(lambda: parse_authorization(header)).code == "IncompleteSignatureException"


@pytest.mark.parametrize(
    "credential",
    [
        "AK/20150830/us-east-1/logs",
        "AK/20150830/us-east-1/logs/aws4_request/extra",
        "AK/20150830/us-east-1/logs/aws5_request",
        "/20150830/us-east-1/logs/aws4_request",
        "AK//us-east-1/logs/aws4_request",
    ],
)
def test_parse_authorization_refuses_a_badly_scoped_credential(credential: str) -> None:
    header = f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=abc"
    error = error_of(lambda: parse_authorization(header))
    assert error.code == "IncompleteSignatureException"
    assert error.message == f"Credential should be scoped correctly: '{credential}'."


# --- check_date ------------------------------------------------------------------------------

SCOPE = SignedScope(AKID, "20140325", "us-east-1", "logs", ("host", "x-amz-date"), "sig")
AWS_NOW = dt.datetime(2014, 3, 25, 14, 52, 51, tzinfo=dt.UTC)


def test_check_date_accepts_a_date_inside_the_window() -> None:
    for amz_date in ("20140325T145251Z", "20140325T143751Z", "20140325T150751Z"):
        check_date(amz_date, SCOPE, AWS_NOW, SKEW)


def test_check_date_message_of_an_expired_signature_is_the_one_aws_sends() -> None:
    # The example recorded from AWS (aws-sdk-js#254), byte for byte.
    error = error_of(lambda: check_date("20140325T143453Z", SCOPE, AWS_NOW, SKEW))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == (
        "Signature expired: 20140325T143453Z is now earlier than 20140325T143751Z "
        "(20140325T145251Z - 15 min.)"
    )


def test_check_date_one_second_past_the_window_is_expired() -> None:
    error = error_of(lambda: check_date("20140325T143750Z", SCOPE, AWS_NOW, SKEW))
    assert error.message is not None and error.message.startswith("Signature expired:")


def test_check_date_in_the_future() -> None:
    error = error_of(lambda: check_date("20140325T150752Z", SCOPE, AWS_NOW, SKEW))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == (
        "Signature not yet current: 20140325T150752Z is still later than 20140325T150751Z "
        "(20140325T145251Z + 15 min.)"
    )


def test_check_date_window_follows_the_setting() -> None:
    error = error_of(lambda: check_date("20140325T144651Z", SCOPE, AWS_NOW, 300))
    assert error.message == (
        "Signature expired: 20140325T144651Z is now earlier than 20140325T144751Z "
        "(20140325T145251Z - 5 min.)"
    )


def test_check_date_missing() -> None:
    for missing in (None, ""):
        error = error_of(lambda m=missing: check_date(m, SCOPE, AWS_NOW, SKEW))  # type: ignore[misc]
        assert error.code == "IncompleteSignatureException"
        assert error.message == (
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )


@pytest.mark.parametrize("amz_date", ["2014-03-25T14:52:51Z", "20140325", "yesterday"])
def test_check_date_malformed(amz_date: str) -> None:
    error = error_of(lambda: check_date(amz_date, SCOPE, AWS_NOW, SKEW))
    assert error.code == "IncompleteSignatureException"
    assert amz_date in (error.message or "")


def test_check_date_must_match_the_credential_scope_day() -> None:
    other_day = SignedScope(AKID, "20140324", "us-east-1", "logs", ("host",), "sig")
    error = error_of(lambda: check_date("20140325T145251Z", other_day, AWS_NOW, SKEW))
    assert error.code == "InvalidSignatureException"


# --- verify ----------------------------------------------------------------------------------


def test_verify_accepts_what_botocore_signed() -> None:
    principal = run_verify(sign())
    assert principal == Principal(account_id=ACCOUNT, access_key_id=AKID, region="us-east-1")


def test_verify_takes_the_region_from_the_credential_scope() -> None:
    request = signed_request(
        URL, BODY, access_key_id=AKID, secret_access_key=SECRET, target=TARGET, when=NOW,
        region="eu-central-1",
    )  # fmt: skip
    assert run_verify(request).region == "eu-central-1"


def test_verify_accepts_an_empty_body() -> None:
    assert run_verify(sign(b"")).account_id == ACCOUNT


def test_verify_wrong_secret() -> None:
    error = error_of(lambda: run_verify(sign(secret="not-the-secret")))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )


def test_verify_unknown_key() -> None:
    error = error_of(lambda: run_verify(sign(), known=keys()))
    assert (error.code, error.status) == ("UnrecognizedClientException", 400)
    assert error.message == "The security token included in the request is invalid."


def test_verify_checks_the_date_before_the_key() -> None:
    # AWS answers "Signature expired" even for a key it does not know.
    error = error_of(lambda: run_verify(sign(when=NOW - dt.timedelta(minutes=20)), known=keys()))
    assert error.code == "InvalidSignatureException"
    assert (error.message or "").startswith("Signature expired: 20240506T064809Z")


def test_verify_stale_and_future_dates() -> None:
    stale = error_of(lambda: run_verify(sign(when=NOW - dt.timedelta(minutes=16))))
    assert (stale.message or "").startswith("Signature expired:")
    future = error_of(lambda: run_verify(sign(when=NOW + dt.timedelta(minutes=16))))
    assert (future.message or "").startswith("Signature not yet current:")
    assert run_verify(sign(when=NOW - dt.timedelta(minutes=14))).account_id == ACCOUNT


def test_verify_tampered_body() -> None:
    request = sign()
    error = error_of(lambda: run_verify(request, body=b'{"logGroupName": "/other"}'))
    assert error.code == "InvalidSignatureException"


def test_verify_tampered_signed_header() -> None:
    request = sign()
    headers = [
        (k, "Logs_20140328.DeleteLogGroup" if k == "x-amz-target" else v)
        for k, v in wire_headers(request)
    ]
    assert error_of(lambda: run_verify(request, headers=headers)).code == (
        "InvalidSignatureException"
    )


def test_verify_tampered_host() -> None:
    request = sign()
    headers = [(k, "127.0.0.1:9999" if k == "host" else v) for k, v in wire_headers(request)]
    assert error_of(lambda: run_verify(request, headers=headers)).code == (
        "InvalidSignatureException"
    )


def test_verify_ignores_headers_that_were_not_signed() -> None:
    request = sign()
    headers = [*wire_headers(request), ("user-agent", "proxy/1.0"), ("x-forwarded-for", "1.2.3.4")]
    assert run_verify(request, headers=headers).account_id == ACCOUNT


def test_verify_a_header_sent_twice_is_joined_with_a_comma() -> None:
    signed = sign(headers={"X-Amz-Meta": "a,b"})
    headers = [(k, v) for k, v in wire_headers(signed) if k != "x-amz-meta"]
    headers += [("x-amz-meta", "a"), ("x-amz-meta", "b")]
    assert run_verify(signed, headers=headers).account_id == ACCOUNT


def test_verify_headers_botocore_would_not_sign_itself() -> None:
    """Other SDKs (Java v1) sign User-Agent; the server must rebuild what the client signed."""

    class SignEverything(SigV4Auth):  # type: ignore[misc]
        def headers_to_sign(self, request: AWSRequest) -> object:
            headers = super().headers_to_sign(request)
            headers["user-agent"] = request.headers["User-Agent"]
            return headers

    request = AWSRequest(
        method="POST",
        url=URL,
        data=BODY,
        headers={"X-Amz-Target": TARGET, "User-Agent": "aws-sdk-java/1.12.0"},
    )
    signer = SignEverything(Credentials(AKID, SECRET), "logs", "us-east-1")
    signer.add_auth(request)
    assert "user-agent" in request.headers["Authorization"]
    now = dt.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    principal = run_verify(request, now=now.replace(tzinfo=dt.UTC))
    assert principal.account_id == ACCOUNT


def test_verify_content_sha256_header_must_match_the_body() -> None:
    digest = hashlib.sha256(BODY).hexdigest()
    request = sign(headers={"X-Amz-Content-SHA256": digest})
    assert run_verify(request).account_id == ACCOUNT
    # botocore would trust the header as the payload hash; a swapped body must still fail.
    error = error_of(lambda: run_verify(request, body=b'{"logGroupName": "/evil"}'))
    assert error.code == "InvalidSignatureException"


def test_verify_unsigned_payload_is_refused() -> None:
    request = sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert error_of(lambda: run_verify(request)).code == "InvalidSignatureException"


def test_verify_missing_authorization() -> None:
    request = sign()
    headers = [(k, v) for k, v in wire_headers(request) if k != "authorization"]
    error = error_of(lambda: run_verify(request, headers=headers))
    assert (error.code, error.message) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_verify_host_must_be_signed() -> None:
    request = sign()
    auth = request.headers["Authorization"].replace("host;", "")
    headers = [(k, auth if k == "authorization" else v) for k, v in wire_headers(request)]
    error = error_of(lambda: run_verify(request, headers=headers))
    assert error.code == "IncompleteSignatureException"


def test_verify_missing_date_header() -> None:
    request = sign()
    headers = [(k, v) for k, v in wire_headers(request) if k != "x-amz-date"]
    assert error_of(lambda: run_verify(request, headers=headers)).code == (
        "IncompleteSignatureException"
    )


@pytest.mark.parametrize("signature", ["é" * 64, "00", "", "ZZ" * 32])
def test_verify_odd_signatures_are_refused_not_crashed(signature: str) -> None:
    request = sign()
    auth = request.headers["Authorization"]
    auth = auth[: auth.index("Signature=")] + f"Signature={signature}"
    headers = [(k, auth if k == "authorization" else v) for k, v in wire_headers(request)]
    error = error_of(lambda: run_verify(request, headers=headers))
    assert error.code in ("InvalidSignatureException", "IncompleteSignatureException")


def test_unverified_principal_takes_region_and_key_from_the_header() -> None:
    request = sign()
    principal = unverified_principal(wire_headers(request), "000000000000", "us-east-1")
    assert principal == Principal("000000000000", AKID, "us-east-1")
    assert unverified_principal([], "111111111111", "eu-west-1") == Principal(
        "111111111111", "dev", "eu-west-1"
    )
    assert unverified_principal([("authorization", "junk")], "1", "r") == Principal("1", "dev", "r")
