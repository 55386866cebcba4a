"""CarParker on Chalice: the app object, its blueprints, and (as issues land) its Lambda functions.

Routes live in chalicelib/routes/ (thin handlers over chalicelib/services/); the error table that
maps domain errors to HTTP statuses is chalicelib/api/http.py:ERROR_STATUS.
"""

from __future__ import annotations

import os
import re
from typing import Any

from chalice import Chalice, Rate

from chalicelib import observability, validator_function
from chalicelib.config import VALIDATORS

app = Chalice(app_name="carparker")
app.debug = os.environ.get("CP_STAGE") == "local"
observability.install(app)  # JSON logs with correlation ids, EMF metrics, traces when on (docs/observability.md)

# Every function's Lambda imports this module. A validator's (AWS_LAMBDA_FUNCTION_NAME <app>-<stage>-validator_<i>)
# imports only what validating needs, not the API: routes, the Encryption SDK, Cognito (docs/capacity.md, "Cold starts").
SERVES_API = re.search(r"-validator_\d+$", os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")) is None

if SERVES_API:
    from chalicelib import bootstrap
    from chalicelib.api.http import auth
    from chalicelib.routes import (
        accounts,
        carparks,
        console,
        enclave,
        evidence,
        gate,
        identity,
        ledger,
        marketplace,
        payments,
        system,
    )
    from chalicelib.services import console_reports, gate_devices
    from chalicelib.services import evidence as evidence_service
    from chalicelib.services import orders as orders_service

    app.register_blueprint(auth)
    app.register_blueprint(system.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(marketplace.bp)
    app.register_blueprint(enclave.bp)
    app.register_blueprint(identity.bp)
    app.register_blueprint(carparks.bp)
    app.register_blueprint(gate.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(console.bp)


# ---------------------------------------------------------------- scheduled functions


@app.schedule(Rate(15, unit=Rate.MINUTES), name="expire_no_shows")
def expire_no_shows(event: object) -> dict[str, list[str]]:
    """Reservations nobody drove into become no-shows (policy fee charged, space released); bills left uncharged are charged."""
    o = bootstrap.deps().orders
    expired = [r.reservation_id for r in orders_service.expire_no_shows(o)]
    return {"expired": expired, "charged": [r.reservation_id for r in orders_service.charge_uncharged(o)]}


if SERVES_API:
    app.register_blueprint(ledger.bp)
    app.register_blueprint(evidence.bp)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="expire_evidence_exports")
def expire_evidence_exports(event: object) -> dict[str, list[str]]:
    """Evidence zips (decrypted photos and their salts) are deleted once their download window is over."""
    return {"deleted": evidence_service.expire_exports(bootstrap.deps().evidence)}


@app.schedule(Rate(1, unit=Rate.MINUTES), name="ledger_cutter")
def ledger_cutter(event: Any) -> dict[str, Any]:
    """Cuts blocks whose oldest entry waited longer than CP_LEDGER_BLOCK_TIMEOUT_S (and retries failed ones)."""
    blocks = bootstrap.deps().ledger.cut_due()
    return {"blocks": [f"{b.header.log}:{b.header.height}" for b in blocks]}


# ---------------------------------------------------------------- functions invoked by AWS services


@app.lambda_function(name="gate_events")
def gate_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Gate devices on MQTT: the IoT topic rule (infra/iot.json) hands each event and heartbeat here (docs/gate.md)."""
    return gate_devices.handle_rule_event(event, o=bootstrap.deps().gate, rt=bootstrap.devices(), settings=gate.gate_settings())


# ---------------------------------------------------------------- the validators: one function each, config.VALIDATORS of them


@app.schedule(Rate(5, unit=Rate.MINUTES), name="expire_console_exports")
def expire_console_exports(event: object) -> dict[str, list[str]]:
    """The console's large CSV exports are deleted once their presigned download has expired."""
    c = bootstrap.deps().carparks.console
    return {"deleted": console_reports.expire_exports(c, c.clock.now()) if c else []}


def _validator(index: int) -> Any:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        nodes = bootstrap.validator_nodes() if SERVES_API else validator_function.nodes()
        return nodes.handle(index, event)

    handler.__name__ = f"validator_{index}"
    return app.lambda_function(name=f"validator_{index}")(handler)


# Chalice names a function's handler "app.<name>", so each validator must be an attribute of this module.
for _index in range(VALIDATORS):
    globals()[f"validator_{_index}"] = _validator(_index)
