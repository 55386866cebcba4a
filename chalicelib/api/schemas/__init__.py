"""Wire formats, one module per blueprint (and common.py for what they share). Requests are validated here;
responses are documented here for /openapi.json."""
