"""CarParker on Chalice: the app object, its blueprints, and (as issues land) its Lambda functions.

Routes live in chalicelib/routes/ (thin handlers over chalicelib/services/); the error table that
maps domain errors to HTTP statuses is chalicelib/api/http.py:ERROR_STATUS.
"""

from __future__ import annotations

import os

from chalice import Chalice, Rate

from chalicelib import bootstrap
from chalicelib.api.http import auth
from chalicelib.routes import accounts, enclave, identity, marketplace, orders, system
from chalicelib.services import orders as orders_service

app = Chalice(app_name="carparker")
app.debug = os.environ.get("CP_STAGE") == "local"

app.register_blueprint(auth)
app.register_blueprint(system.bp)
app.register_blueprint(accounts.bp)
app.register_blueprint(marketplace.bp)
app.register_blueprint(enclave.bp)
app.register_blueprint(identity.bp)
app.register_blueprint(orders.bp)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="expire_no_shows")
def expire_no_shows(event: object) -> dict[str, list[str]]:
    """Reservations nobody drove into become no-shows (policy fee charged, space released); bills left uncharged are charged."""
    o = bootstrap.orders()
    expired = [r.reservation_id for r in orders_service.expire_no_shows(o)]
    return {"expired": expired, "charged": [r.reservation_id for r in orders_service.charge_uncharged(o)]}
