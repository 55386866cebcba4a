"""A registry of operations: each route declares its models once, and /openapi.json is built from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .schemas.common import Error

STATUS_TEXT = {400: "Invalid input", 401: "Not signed in", 403: "Forbidden", 404: "Not found", 409: "Conflict", 410: "Gone (erased)",
               422: "Refused by a business rule", 503: "A dependency is unavailable"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    auth: bool = True
    headers: tuple[str, ...] = ()
    media_type: str = "application/json"  # of the success response; a route with another one returns a Response


@dataclass
class Registry:
    operations: list[Operation] = field(default_factory=list)

    def add(self, op: Operation) -> None:
        if any(o.operation_id == op.operation_id for o in self.operations):
            raise ValueError(f"duplicate operationId {op.operation_id}")
        self.operations.append(op)

    def document(self, title: str, version: str) -> dict[str, Any]:
        schemas_out: dict[str, Any] = {}
        schemas: dict[str, Any] = {"Error": _schema(Error, schemas_out)}
        paths: dict[str, Any] = {}
        for op in self.operations:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas_out)
        schemas.update(schemas_out)
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version, "description": "CarParker REST API. See docs/api.md."},
            "servers": [{"url": "/"}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (Cognito ID token)"}},
            },
        }


def _schema(model: type[BaseModel], into: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON Schema (2020-12, as OpenAPI 3.1 uses), with its $defs hoisted into components. Two different
    models of one name would silently describe one route with the other's schema, so that is refused."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        _put(into, name, sub)
    _put(into, model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _put(into: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in into and into[name] != schema:
        raise ValueError(f"two different schemas are both named {name}: rename one of the models")
    into[name] = schema


def _parameters(op: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
              for n in re.findall(r"{(\w+)}", op.path)]
    if op.query is not None:
        _schema(op.query, schemas)
        full = op.query.model_json_schema()
        for name, prop in full["properties"].items():
            params.append({"name": name, "in": "query", "required": name in full.get("required", []), "schema": prop})
    params += [{"name": h, "in": "header", "required": False, "schema": {"type": "string", "maxLength": 255}} for h in op.headers]
    return params


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    codes = set(op.errors) | {400} | ({401, 403} if op.auth else set()) | ({404} if "{" in op.path else set())
    content = ({"content": {"application/json": {"schema": _schema(op.response, schemas)}}} if op.response else
               {"content": {op.media_type: {"schema": {"type": "string"}}}} if op.media_type != "application/json" else {})
    responses: dict[str, Any] = {str(op.status): {"description": "Success", **content}}
    for code in sorted(codes):
        responses[str(code)] = {"description": STATUS_TEXT.get(code, "Error"), **err}
    out: dict[str, Any] = {
        "operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
        "parameters": _parameters(op, schemas), "responses": responses,
        "security": [{"cognito": []}] if op.auth else [],
    }
    if op.request is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema(op.request, schemas)}}}
    return out
