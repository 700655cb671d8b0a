"""A lean CloudWatch Logs client for the benchmarks: SigV4, one keep-alive connection, orjson.

boto3 parses a response shape by shape and validates every event of a request in Python; on a
2-core machine that client work costs more than the servers being measured and competes with
them for the CPU. This client does what any client must (serialise, sign with botocore's
SigV4 signer, send, parse) and nothing else, and it is the same for owl and moto.
"""

from __future__ import annotations

import http.client
import time
from typing import Any
from urllib.parse import urlsplit

import _servers as srv
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TARGET = "Logs_20140328"


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.code = code


class LeanLogs:
    """CloudWatch Logs JSON 1.1 over one keep-alive connection: SigV4 signing, orjson parsing.

    Another AWS JSON service by its signing name, target prefix and JSON version (CloudWatch:
    "monitoring", "GraniteServiceVersion20100801", "1.0").
    """

    def __init__(
        self,
        server: srv.Server,
        *,
        service: str = "logs",
        target: str = TARGET,
        json_version: str = "1.1",
    ) -> None:
        self.url = server.endpoint + "/"
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.auth = SigV4Auth(
            Credentials(server.access_key_id, server.secret_access_key), service, srv.REGION
        )
        self.target, self.content_type = target, f"application/x-amz-json-{json_version}"
        self.conn: http.client.HTTPConnection | None = None
        self.parse_s = 0.0  # time spent parsing 200 responses (orjson), summed

    def call(self, operation: str, params: dict[str, Any], timeout: float = 900.0) -> Any:
        return self.send(operation, orjson.dumps(params), timeout)

    def send(self, operation: str, body: bytes, timeout: float = 900.0) -> Any:
        """One request with an already serialised body (signing happens here, per request)."""
        request = AWSRequest(
            method="POST",
            url=self.url,
            data=body,
            headers={
                "Content-Type": self.content_type,
                "X-Amz-Target": f"{self.target}.{operation}",
            },
        )
        self.auth.add_auth(request)
        headers = dict(request.headers.items())
        headers["Host"] = f"{self.host}:{self.port}"
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port)
        # http.client reconnects by itself when the server closed the connection (moto does)
        self.conn.timeout = max(timeout, 0.001)
        if self.conn.sock is not None:
            self.conn.sock.settimeout(self.conn.timeout)
        try:
            self.conn.request("POST", "/", body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except BaseException:
            self.close()  # a timed-out or broken connection is not reused
            raise
        if response.status != 200:
            doc = orjson.loads(data) if data.startswith(b"{") else {}
            code = str(doc.get("__type", response.status)).rsplit("#", 1)[-1]
            raise ServiceError(response.status, code, str(doc.get("message", data[:200])))
        started = time.perf_counter()
        doc = orjson.loads(data) if data else {}
        self.parse_s += time.perf_counter() - started
        return doc

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
