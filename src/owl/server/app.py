"""The ASGI application: one port, every service, /health and /metrics.

A request goes: body (size-limited) → protocol and operation → SigV4 → decode → model
validation → handler (in a worker thread) → result or AWS-shaped error, in the request's
protocol. The protocol is AWS JSON (X-Amz-Target) unless the service's model lists another and
the request speaks it: Smithy RPC v2 CBOR (its path and `smithy-protocol` header) or the query
protocol (a form body). Every protocol decodes into the JSON protocol's params. Nothing a
client sends can raise out of here: unexpected failures become InternalFailure with a request
id, and the traceback goes to owl's log, never to the client.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botocore.model import OperationModel, ServiceModel
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from owl.config import DEFAULT_REGION
from owl.domain.clock import OffsetClock
from owl.domain.models import Scope
from owl.errors import OwlError
from owl.protocol import awsjson, query, rpcv2, sigv4
from owl.protocol.errors import (
    AwsError,
    internal,
    not_implemented,
    too_large,
    unknown_operation,
    with_query_code,
)
from owl.protocol.model import service_model, spec_of
from owl.protocol.validate import ValidationFailed, validate
from owl.server.state import ServerState
from owl.services.base import Call, Service
from owl.services.kms import KMS
from owl.services.logs import LOGS
from owl.services.monitoring import MONITORING

log = logging.getLogger("owl.server")

SERVICES: tuple[Service, ...] = (LOGS, KMS, MONITORING)


class Metrics:
    """owl's own Prometheus metrics, in a registry of the app (not the global one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "owl_requests",
            "Requests by service, operation and outcome.",
            ["service", "operation", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "owl_request_seconds",
            "Request latency by service and operation.",
            ["service", "operation"],
            registry=self.registry,
        )


class JsonWire:
    """AWS JSON 1.0/1.1, the protocol every service speaks."""

    def __init__(self, json_version: str) -> None:
        self.json_version = json_version

    def unknown(self, requested: str | None) -> AwsError:
        return unknown_operation()

    def decode(self, body: bytes, operation: OperationModel) -> dict[str, Any]:
        return awsjson.decode_body(body)

    def result(
        self, result: dict[str, Any] | None, operation: OperationModel, request_id: str
    ) -> Response:
        return Response(
            awsjson.encode_result(result),
            200,
            headers={
                "content-type": awsjson.content_type(self.json_version),
                "x-amzn-requestid": request_id,
            },
        )

    def error(self, error: AwsError, request_id: str) -> Response:
        return Response(
            error.json_body(),
            error.status,
            headers=awsjson.error_headers(error, request_id, self.json_version),
        )


class QueryWire:
    """The AWS query protocol: form in, XML out (services whose model lists `query`)."""

    def __init__(self, namespace: str, api_version: str) -> None:
        self.namespace = namespace
        self.api_version = api_version

    def unknown(self, requested: str | None) -> AwsError:
        if not requested:
            return query.missing_action()
        return query.invalid_action(requested, self.api_version)

    def decode(self, body: bytes, operation: OperationModel) -> dict[str, Any]:
        _, fields = query.parse_form(body)
        return query.decode_params(fields, operation.input_shape)

    def result(
        self, result: dict[str, Any] | None, operation: OperationModel, request_id: str
    ) -> Response:
        return Response(
            query.encode_result(operation, result, request_id),
            200,
            headers={"content-type": query.CONTENT_TYPE, "x-amzn-requestid": request_id},
        )

    def error(self, error: AwsError, request_id: str) -> Response:
        return Response(
            query.encode_error(error, request_id, self.namespace),
            error.status,
            headers={"content-type": query.CONTENT_TYPE, "x-amzn-requestid": request_id},
        )


class CborWire:
    """Smithy RPC v2 CBOR (services whose model lists `smithy-rpc-v2-cbor`)."""

    def unknown(self, requested: str | None) -> AwsError:
        return unknown_operation()

    def decode(self, body: bytes, operation: OperationModel) -> dict[str, Any]:
        return rpcv2.decode_body(body, operation.input_shape)

    def result(
        self, result: dict[str, Any] | None, operation: OperationModel, request_id: str
    ) -> Response:
        body = rpcv2.encode_result(result, operation.output_shape)
        return Response(body, 200, headers=rpcv2.headers(request_id))

    def error(self, error: AwsError, request_id: str) -> Response:
        headers = rpcv2.headers(request_id)
        query_error = error.query_error()
        if query_error:
            headers["x-amzn-query-error"] = query_error
        return Response(rpcv2.encode_error(error), error.status, headers=headers)


Wire = JsonWire | QueryWire | CborWire


def _speaks(service: Service, protocol: str) -> bool:
    return protocol in service_model(service.name).metadata.get("protocols", ())


class Gateway:
    """The request pipeline of every service, whatever its protocol."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.settings = state.settings
        self.by_prefix = {spec_of(s.name).target_prefix: s for s in SERVICES}
        self.cbor_by_prefix = {
            p: s for p, s in self.by_prefix.items() if _speaks(s, "smithy-rpc-v2-cbor")
        }
        self.query_by_signing_name = {
            spec_of(s.name).signing_name: s for s in SERVICES if _speaks(s, "query")
        }
        self.metrics = Metrics()

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        service_name, operation = "unknown", "unknown"
        wire: Wire = JsonWire("1.1")
        model_of_error = None
        try:
            body = await self._read_body(request)
            service, wire, requested = self._route(request)
            service_name = service.name
            spec = spec_of(service.name)
            model = service_model(service.name)
            model_of_error = model
            principal = await self._authenticate(request, body, spec.signing_name)
            # SigV4 covers the body as sent; a query form names its Action only once inflated,
            # while JSON and CBOR inflate only where the model allows request compression.
            if isinstance(wire, QueryWire):
                body = awsjson.decode_content(
                    body, request.headers.get("content-encoding"), self.settings.max_body_bytes
                )
                requested, _ = query.parse_form(body)
            # Metric labels come from the model only: a client-chosen name would let anyone,
            # even unauthenticated, grow /metrics without bound.
            if requested is not None and requested in model.operation_names:
                operation = requested
            if operation == "unknown":
                raise wire.unknown(requested)
            operation_model = model.operation_model(operation)
            if not isinstance(wire, QueryWire) and operation_model.request_compression:
                body = awsjson.decode_content(
                    body, request.headers.get("content-encoding"), self.settings.max_body_bytes
                )
            call = Call(
                scope=Scope(principal.account_id, principal.region),
                access_key_id=principal.access_key_id,
                request_id=request_id,
                backends=self.state.backends,
            )
            try:
                result = await self._dispatch(service, spec.name, operation_model, call, body, wire)
            except OwlError as e:
                raise service.translate(e) from None
            self._count(service_name, operation, "200", started)
            return wire.result(result, operation_model, request_id)
        except AwsError as error:
            return self._error(
                error, request_id, wire, model_of_error, service_name, operation, started
            )
        except Exception:
            log.exception(
                "Request failed unexpectedly request_id=%s service=%s operation=%s",
                request_id,
                service_name,
                operation,
            )
            return self._error(
                internal(request_id),
                request_id,
                wire,
                model_of_error,
                service_name,
                operation,
                started,
            )

    def _route(self, request: Request) -> tuple[Service, Wire, str | None]:
        """(service, wire, requested operation) of a request; raises, as JSON, when no
        service claims it.

        CBOR and query are chosen only for services whose model lists them, so the other
        services answer exactly as before; X-Amz-Target always means AWS JSON.
        """
        headers = request.headers
        cbor = rpcv2.split_path(request.url.path)
        if cbor is not None and headers.get("smithy-protocol") == rpcv2.PROTOCOL:
            service = self.cbor_by_prefix.get(cbor[0])
            if service is not None:
                return service, CborWire(), cbor[1]
        target = headers.get("x-amz-target")
        if not target and self.query_by_signing_name and query.is_form(headers.get("content-type")):
            service = self._query_service(headers.get("authorization"))
            meta = service_model(service.name).metadata
            return service, QueryWire(meta.get("xmlNamespace", ""), meta["apiVersion"]), None
        prefix, requested = awsjson.split_target(target)
        service = self.by_prefix.get(prefix)
        if service is None:
            raise unknown_operation()
        return service, JsonWire(spec_of(service.name).json_version), requested

    def _query_service(self, authorization: str | None) -> Service:
        """The query service a form is signed for (its credential scope), else the first."""
        if authorization:
            try:
                signed_for = sigv4.parse_authorization(authorization).service
            except AwsError:
                signed_for = ""
            if signed_for in self.query_by_signing_name:
                return self.query_by_signing_name[signed_for]
        return next(iter(self.query_by_signing_name.values()))

    async def _dispatch(
        self,
        service: Service,
        spec_name: str,
        operation_model: OperationModel,
        call: Call,
        body: bytes,
        wire: Wire,
    ) -> dict[str, Any] | None:
        """Run the operation: hot ones on their raw body, the rest after model validation."""
        operation = operation_model.name
        raw = service.raw_operations.get(operation) if isinstance(wire, JsonWire) else None
        if raw is not None:
            return await raw(call, body)
        handler = service.operations.get(operation)
        if handler is None:
            raise not_implemented(spec_name, operation)
        params = wire.decode(body, operation_model)
        # A value of the wrong JSON type fails first (validate raises it at once), then the
        # service's own early checks, then the collected model constraints.
        failed: ValidationFailed | None = None
        try:
            validate(service.name, operation, params)
        except ValidationFailed as e:
            failed = e
        check = service.pre_validate.get(operation)
        if check is not None:
            check(params)
        if failed is not None:
            raise AwsError(service.validation_code, failed.summary())
        return await run_in_threadpool(handler, call, params)

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _authenticate(
        self, request: Request, body: bytes, signing_name: str
    ) -> sigv4.Principal:
        headers = list(request.headers.items())
        if self.settings.dev:
            return sigv4.unverified_principal(headers, self.settings.dev_account_id, DEFAULT_REGION)
        # Hashing a 1 MiB body and looking up the key's secret stay off the event loop.
        return await run_in_threadpool(
            sigv4.verify,
            method=request.method,
            url=str(request.url),
            headers=headers,
            body=body,
            secret_of=self.state.backends.accounts.secret_of,
            now=dt.datetime.now(dt.UTC),
            skew_s=self.settings.clock_skew_seconds,
            service=signing_name,
        )

    def _count(self, service: str, operation: str, code: str, started: float) -> None:
        self.metrics.requests.labels(service, operation, code).inc()
        self.metrics.latency.labels(service, operation).observe(time.perf_counter() - started)

    def _error(
        self,
        error: AwsError,
        request_id: str,
        wire: Wire,
        model: ServiceModel | None,
        service: str,
        operation: str,
        started: float,
    ) -> Response:
        self._count(service, operation, error.code, started)
        if model is not None:
            error = with_query_code(error, model)
        return wire.error(error, request_id)


def build_app(state: ServerState) -> Starlette:
    gateway = Gateway(state)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics(_: Request) -> Response:
        return Response(
            generate_latest(gateway.metrics.registry), headers={"content-type": CONTENT_TYPE_LATEST}
        )

    async def flush(_: Request) -> Response:
        await run_in_threadpool(state.backends.store.flush)
        await run_in_threadpool(state.sync_stream_stats)
        store = state.backends.store
        return JSONResponse(
            {"segments": store.segment_count(), "merge_pending": store.merge_pending()}
        )

    async def faults(request: Request) -> Response:
        body = await request.json()
        state.faults.set(fsync_failures=body.get("fsync_failures"), disk_full=body.get("disk_full"))
        return JSONResponse(
            {"fsync_failures": state.faults.fsync_failures, "disk_full": state.faults.disk_full}
        )

    async def retention(_: Request) -> Response:
        counts = await run_in_threadpool(state.apply_retention)
        return JSONResponse({**counts, "segments": state.backends.store.segment_count()})

    async def clock(request: Request) -> Response:
        body = await request.json()
        moved = state.backends.clock
        if not isinstance(moved, OffsetClock):
            return JSONResponse({"error": "this server's clock cannot be moved"}, 400)
        moved.advance(int(body.get("advance_ms", 0)))
        return JSONResponse({"now_ms": moved.now_ms()})

    async def alarms(_: Request) -> Response:
        return JSONResponse(await run_in_threadpool(state.evaluate_alarms))

    handler: Callable[[Request], Awaitable[Response]] = gateway.handle
    routes: list[Any] = [
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if state.settings.test_hooks:
        routes += [
            Route("/_owl/flush", flush, methods=["POST"]),
            Route("/_owl/faults", faults, methods=["POST"]),
            Route("/_owl/retention", retention, methods=["POST"]),
            Route("/_owl/clock", clock, methods=["POST"]),
            Route("/_owl/alarms", alarms, methods=["POST"]),
        ]
    routes.append(Route("/{path:path}", handler, methods=["POST"]))
    app = Starlette(routes=routes)
    app.state.owl = state
    app.state.gateway = gateway
    return app
