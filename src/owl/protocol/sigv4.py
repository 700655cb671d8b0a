"""SigV4 verification (Authorization-header form) with botocore's own canonicalisation.

The server rebuilds the request from the headers the client says it signed, lets botocore's
SigV4Auth compute the signature it would have sent, and compares in constant time. Secrets are
looked up through a callable so that this module knows nothing of where keys live.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from owl.protocol.errors import AwsError

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class SignedScope:
    """What the Authorization header claims."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class Principal:
    """Who a verified request comes from."""

    account_id: str
    access_key_id: str
    region: str


def missing_token() -> AwsError:
    return AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 400)


def incomplete(detail: str) -> AwsError:
    return AwsError("IncompleteSignatureException", detail, 400)


def unrecognized() -> AwsError:
    return AwsError(
        "UnrecognizedClientException", "The security token included in the request is invalid.", 400
    )


def bad_signature() -> AwsError:
    return AwsError(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details.",
        400,
    )


def parse_authorization(header: str) -> SignedScope:
    """Split `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`."""
    raw = header.strip()
    algorithm, _, rest = raw.partition(" ")
    if algorithm != ALGORITHM:
        raise incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        token = item.strip()
        if not token:
            continue
        key, sep, value = token.partition("=")
        if not sep:
            raise incomplete(
                f"'{token}' not a valid key=value pair (missing equal-sign) in Authorization "
                f"header: '{raw[:256]}'."
            )
        parts[key] = value
    missing = [k for k in ("Credential", "Signature", "SignedHeaders") if not parts.get(k)]
    if missing:
        # AWS writes one sentence per missing part, then echoes the header.
        sentences = " ".join(f"Authorization header requires '{k}' parameter." for k in missing)
        raise incomplete(f"{sentences} Authorization={raw[:256]}")
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise incomplete(f"Credential should be scoped correctly: '{parts['Credential']}'.")
    akid, date, region, service, _ = scope
    return SignedScope(
        access_key_id=akid,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(h for h in parts["SignedHeaders"].lower().split(";") if h),
        signature=parts["Signature"],
    )


def check_date(amz_date: str | None, scope: SignedScope, now: dt.datetime, skew_s: int) -> None:
    """Reject a missing, malformed or stale X-Amz-Date, as AWS does before checking keys."""
    if not amz_date:
        raise incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    try:
        when = dt.datetime.strptime(amz_date, AMZ_DATE).replace(tzinfo=dt.UTC)
    except ValueError:
        raise incomplete(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") from None
    if amz_date[:8] != scope.date:
        raise bad_signature()
    delta = dt.timedelta(seconds=skew_s)
    fmt = AMZ_DATE
    if when < now - delta:
        raise AwsError(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than "
            f"{(now - delta).strftime(fmt)} ({now.strftime(fmt)} - {skew_s // 60} min.)",
            400,
        )
    if when > now + delta:
        raise AwsError(
            "InvalidSignatureException",
            f"Signature not yet current: {amz_date} is still later than "
            f"{(now + delta).strftime(fmt)} ({now.strftime(fmt)} + {skew_s // 60} min.)",
            400,
        )


class _ClaimedHeadersSigV4(SigV4Auth):  # type: ignore[misc]
    """botocore's signer, but over exactly the headers the client says it signed.

    botocore leaves out headers such as User-Agent and Expect when *it* signs; other SDKs
    (Java v1, for one) sign them, and the server must rebuild whatever the client chose.
    """

    def __init__(
        self, credentials: Credentials, service: str, region: str, names: set[str]
    ) -> None:
        super().__init__(credentials, service, region)
        self._names = names

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            if name.lower() in self._names:
                header_map[name.lower()] = value
        return header_map


def expected_signature(
    scope: SignedScope,
    secret: str,
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    amz_date: str,
) -> str:
    """The signature botocore would compute for this request with this secret."""
    wanted = set(scope.signed_headers)
    request = AWSRequest(method=method, url=url, data=body)
    for key, value in headers:
        if key.lower() in wanted:
            request.headers.add_header(key.lower(), value)
    request.context["timestamp"] = amz_date
    signer = _ClaimedHeadersSigV4(
        Credentials(scope.access_key_id, secret), scope.service, scope.region, wanted
    )
    canonical = signer.canonical_request(request)
    signature: str = signer.signature(signer.string_to_sign(request, canonical), request)
    return signature


def verify(
    *,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    secret_of: Callable[[str], tuple[str, str] | None],
    now: dt.datetime,
    skew_s: int,
    service: str | None = None,
) -> Principal:
    """Authenticate one request; returns the principal or raises the AWS error.

    `service` is the signing name the credential scope must carry (e.g. "logs").
    """
    lowered = {k.lower(): v for k, v in headers}
    header = lowered.get("authorization")
    if not header:
        raise missing_token()
    scope = parse_authorization(header)
    if service is not None and scope.service != service:
        raise AwsError(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{service}'. ",
            400,
        )
    if "host" not in scope.signed_headers:
        raise incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    amz_date = lowered.get("x-amz-date")
    check_date(amz_date, scope, now, skew_s)
    assert amz_date is not None
    found = secret_of(scope.access_key_id)
    if found is None:
        raise unrecognized()
    secret, account_id = found
    # botocore takes a X-Amz-Content-SHA256 header as the payload hash without hashing the
    # body; a body changed after signing must not pass on the strength of that header.
    claimed_hash = lowered.get("x-amz-content-sha256")
    if (
        "x-amz-content-sha256" in scope.signed_headers
        and claimed_hash != hashlib.sha256(body).hexdigest()
    ):
        raise bad_signature()
    want = expected_signature(
        scope, secret, method=method, url=url, headers=headers, body=body, amz_date=amz_date
    )
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    if not hmac.compare_digest(want.encode(), scope.signature.encode()):
        raise bad_signature()
    return Principal(account_id=account_id, access_key_id=scope.access_key_id, region=scope.region)


def unverified_principal(headers: list[tuple[str, str]], account_id: str, region: str) -> Principal:
    """--dev mode: take region and key id from the header if there is one, trust everything."""
    header = next((v for k, v in headers if k.lower() == "authorization"), "")
    akid = "dev"
    try:
        scope = parse_authorization(header) if header else None
    except AwsError:
        scope = None
    if scope is not None:
        region, akid = scope.region, scope.access_key_id
    return Principal(account_id=account_id, access_key_id=akid, region=region)
