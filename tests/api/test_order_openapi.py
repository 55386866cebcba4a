"""The new routes are described in /openapi.json, and the document is valid OpenAPI 3.1."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.helpers import ApiClient


def test_order_routes_are_in_a_valid_openapi_document(api: ApiClient) -> None:
    doc = api.get("/openapi.json").body
    validate(doc)
    gate = doc["paths"]["/gate/events"]["post"]
    assert gate["security"] == [] and {p["name"] for p in gate["parameters"]} >= {"X-Gate-Device", "X-Gate-Timestamp", "X-Gate-Signature"}
    assert {"/carparks", "/carparks/{carpark_id}/movements", "/payments/webhook", "/me/notifications"} <= set(doc["paths"])
    report = doc["paths"]["/carparks/{carpark_id}/transactions"]["get"]
    assert {p["name"] for p in report["parameters"] if p["in"] == "query"} == {"from", "to"}
