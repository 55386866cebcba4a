"""Logs, metrics and traces through Powertools for AWS Lambda (docs/observability.md).

- Logs: one Powertools Logger (service "carparker"). Our modules keep logging through the standard library
  (`logging.getLogger(__name__)`); their records go through the Logger's handler, so every line is one JSON object
  with the same keys. Each invocation carries a `correlation_id`: a request's is the caller's X-Correlation-Id (when it
  is a sane token) or API Gateway's request id, echoed in the response; a gate event's on MQTT is
  `<device>#<event id>`; any other function's is its Lambda request id. The keys live in a context variable, so
  `chalice local`'s threads never mix them.
- Metrics: business events as CloudWatch Embedded Metric Format lines on stdout (Powertools `single_metric`), which
  CloudWatch turns into metrics on AWS and which need nothing locally.
- Traces: Powertools Tracer, only when CP_TRACING is on; the X-Ray SDK is imported on the first traced call, never
  at a cold start that does not trace.

What is never logged: tokens, secrets, plates, emails, names, request or event bodies (docs/observability.md).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from . import config

SERVICE = "carparker"
NAMESPACE = "CarParker"
CORRELATION_HEADER = "X-Correlation-Id"
# A caller's id is taken only if it is a short plain token (a UUID, a ULID, "web-1a2b"): never a place to smuggle data.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:#-]{0,127}")
_OUR_LOGGERS = ("chalicelib",)  # the stdlib loggers of our modules (carparker.* are the Logger's children already)
# Libraries whose INFO lines are noise on every call (credential lookups, each data key's encryption context, which
# names a user): WARNING and above only, unless someone set their level on purpose.
_CHATTY = ("botocore", "boto3", "aws_encryption_sdk", "pynamodb", "urllib3")
# Keys a record repeats on every line; the text format leaves them out.
_BOILERPLATE = {"level", "location", "message", "timestamp", "service", "name", "correlation_id", "sampling_rate",
                "function_name", "function_memory_size", "function_arn", "function_request_id", "cold_start",
                "xray_trace_id", "exception", "exception_name", "stack_trace"}

log = logging.getLogger(__name__)


class Formatter(LambdaPowertoolsFormatter):
    """Powertools' JSON, or (CP_LOG_FORMAT=text, `make run`) the same record, same keys and correlation id included, as
    one readable line. Read per record, so the setting is read at call time like every other."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        try:
            text = config.log_format() == "text"
        except config.ConfigError:  # a mistyped setting must not cost the log line
            text = False
        return text_line(log) if text else super().serialize(log)


def text_line(log: dict[str, Any]) -> str:
    at = str(log.get("timestamp", ""))[11:23]
    cid = f" [{log['correlation_id']}]" if log.get("correlation_id") else ""
    extras = " ".join(f"{k}={v}" for k, v in log.items() if k not in _BOILERPLATE)
    line = f"{at} {log.get('level', ''):<7} {log.get('name', SERVICE)}{cid} {log.get('message', '')}"
    line = f"{line}  {extras}" if extras else line
    return f"{line}\n{log['exception']}" if log.get("exception") else line


class Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time, as print() does for the EMF lines: on Lambda both are the function's
    log stream, in order; under pytest both are the test's captured output."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


logger = Logger(service=SERVICE, logger_handler=Stdout(), logger_formatter=Formatter(utc=True, use_rfc3339=True))
copy_config_to_registered_loggers(source_logger=logger, include={logging.getLogger(name).name for name in _OUR_LOGGERS})
for _name in _CHATTY:
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)

_cold = threading.Event()  # set once the first invocation of this process has started


# ---------------------------------------------------------------- correlation


def correlation_id() -> str | None:
    value = logger.thread_safe_get_current_keys().get("correlation_id")
    return str(value) if value else None


def correlate(value: str) -> None:
    """From here to the end of the invocation, log lines and metrics carry this correlation id."""
    logger.thread_safe_append_keys(correlation_id=value)


def caller_token(value: str | None) -> str | None:
    return value if value is not None and _TOKEN.fullmatch(value) else None


def _lambda_keys(context: Any) -> dict[str, Any]:
    keys: dict[str, Any] = {"cold_start": not _cold.is_set()}
    _cold.set()
    if context is not None and hasattr(context, "aws_request_id"):
        keys.update(build_lambda_context_model(context).__dict__)
    return keys


@contextmanager
def invocation(correlation: str, context: Any, **keys: Any) -> Iterator[None]:
    """One invocation's log keys (its correlation id, the Lambda context's name and request id, whether it is a cold
    start), removed again when it ends."""
    added = {"correlation_id": correlation, **_lambda_keys(context), **keys}
    logger.thread_safe_append_keys(**added)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(list(added))


def _request_id(context: Any) -> str:
    return str(getattr(context, "aws_request_id", "") or uuid.uuid4())


# ---------------------------------------------------------------- Chalice middleware


def http_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every API request: its correlation id, one access line (route template, status, duration; never the path's
    values, the query or a body), and the id echoed as X-Correlation-Id."""
    ctx = event.context or {}
    correlation = (caller_token(event.headers.get(CORRELATION_HEADER.lower())) or ctx.get("requestId")
                   or _request_id(event.lambda_context))
    started = time.perf_counter()
    with invocation(correlation, event.lambda_context):
        response = get_response(event)
        log.info("request", extra={"method": event.method, "route": ctx.get("resourcePath"), "status": response.status_code,
                                   "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    response.headers[CORRELATION_HEADER] = correlation
    return response


def function_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Scheduled, validator and gate_events functions: the Lambda request id is the correlation id until the
    function names a better one (a gate event's own id)."""
    started = time.perf_counter()
    with invocation(_request_id(event.context), event.context):
        try:
            return get_response(event)
        finally:
            log.info("function done", extra={"duration_ms": round((time.perf_counter() - started) * 1000, 1)})


# ---------------------------------------------------------------- metrics


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """One business event as one EMF line (namespace CarParker, dimensions stage plus these), printed at once, so no
    handler has to flush it. A metric that cannot be written never fails the business operation."""
    try:
        with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE,
                           default_dimensions={"stage": config.stage()}) as metric:
            for key, dim in dimensions.items():
                metric.add_dimension(name=key, value=dim)
            if cid := correlation_id():
                metric.add_metadata(key="correlation_id", value=cid)
    except Exception:  # noqa: BLE001 - observability must not take the service down with it
        log.warning("metric %s not written", name, exc_info=True)


# ---------------------------------------------------------------- traces


_tracer_lock = threading.Lock()
_tracer: Any = None


def tracer() -> Any:
    """The Powertools Tracer, built on first use (this imports the X-Ray SDK and patches boto3/botocore)."""
    global _tracer
    with _tracer_lock:
        if _tracer is None:
            from aws_lambda_powertools import Tracer

            _tracer = Tracer(service=SERVICE)
        return _tracer


def traced(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Chalice's ConvertToMiddleware takes this: the handler inside a Tracer segment when CP_TRACING is on."""
    return tracer().capture_lambda_handler(handler) if config.tracing() else handler


def install(app: Any) -> None:
    """Wire the app's functions: the API ("http"), scheduled, validator and gate_events ("pure_lambda") ones."""
    from chalice import ConvertToMiddleware

    app.register_middleware(http_middleware, "http")
    app.register_middleware(function_middleware, "scheduled")
    app.register_middleware(function_middleware, "pure_lambda")
    app.register_middleware(ConvertToMiddleware(traced), "all")
