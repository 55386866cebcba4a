"""/openapi.json names each schema once: two different models of one name would describe a route with the other's
schema (the evidence export was described as the ledger export, until this was refused)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from chalicelib.api.routing import Operation, Registry


def _model(field: str) -> type[BaseModel]:
    return type("ExportOut", (BaseModel,), {"__annotations__": {field: str}})


def test_two_models_with_one_name_are_refused() -> None:
    registry = Registry()
    registry.add(Operation("GET", "/a", "a", "a", "t", response=_model("key")))
    registry.add(Operation("GET", "/b", "b", "b", "t", response=_model("url")))
    with pytest.raises(ValueError, match="ExportOut"):
        registry.document("t", "1")


def test_the_same_model_on_two_routes_is_fine() -> None:
    registry = Registry()
    model = _model("key")
    registry.add(Operation("GET", "/a", "a", "a", "t", response=model))
    registry.add(Operation("GET", "/b", "b", "b", "t", response=model))
    assert "ExportOut" in registry.document("t", "1")["components"]["schemas"]


def test_the_served_document_builds() -> None:
    import app  # noqa: F401  (registers every route)
    from chalicelib.api.http import REGISTRY

    schemas = REGISTRY.document("CarParker", "test")["components"]["schemas"]
    assert {"EvidenceExportOut", "ExportOut", "CaCertificateOut", "CertificateOut"} <= set(schemas)
