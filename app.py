"""CarParker on Chalice: the app object, its blueprints, and (as issues land) its Lambda functions.

Routes live in chalicelib/routes/ (thin handlers over chalicelib/services/); the error table that
maps domain errors to HTTP statuses is chalicelib/api/http.py:ERROR_STATUS.
"""

from __future__ import annotations

import os

from chalice import Chalice

from chalicelib.api.http import auth
from chalicelib.routes import accounts, enclave, identity, marketplace, system

app = Chalice(app_name="carparker")
app.debug = os.environ.get("CP_STAGE") == "local"

app.register_blueprint(auth)
app.register_blueprint(system.bp)
app.register_blueprint(accounts.bp)
app.register_blueprint(marketplace.bp)
app.register_blueprint(enclave.bp)
app.register_blueprint(identity.bp)
