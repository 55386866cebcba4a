"""The CloudFront Function in front of the web bucket, run with node on CloudFront-shaped viewer-request events.

CloudFront's DefaultRootObject applies to `/` only: without the function, `/console/` would ask the bucket for the
key `console/` (none: a 403, which the error response turned into the parker app's index.html, status 200). The
function's runtime (cloudfront-js-2.0) is ECMAScript 5.1 plus a few later features; the code sticks to those.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = json.loads((ROOT / "infra" / "template.json").read_text())["Resources"]


def viewer_request(uri: str) -> dict[str, Any]:
    code = RESOURCES["WebIndexFunction"]["Properties"]["FunctionCode"]
    event = {"version": "1.0", "context": {"eventType": "viewer-request"},
             "viewer": {"ip": "192.0.2.1"}, "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}, "cookies": {}}}
    script = f"{code}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("uri", "key"), [
    ("/", "/index.html"),
    ("/console/", "/console/index.html"),
    ("/assets/app-1a2b3c.js", "/assets/app-1a2b3c.js"),
    ("/config.json", "/config.json"),
    ("/sw.js", "/sw.js"),
])
def test_directories_serve_their_index_and_files_themselves(uri: str, key: str) -> None:
    assert viewer_request(uri)["uri"] == key


def test_the_console_without_its_slash_is_redirected_so_its_relative_assets_resolve() -> None:
    answer = viewer_request("/console")
    assert answer["statusCode"] == 301 and answer["headers"]["location"]["value"] == "/console/"


def test_the_distribution_runs_it_on_every_viewer_request_and_a_missing_file_is_no_200() -> None:
    config = RESOURCES["WebDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["WebIndexFunction", "FunctionARN"]}}]
    # Hash routes need no rewrites: a missing asset must not come back as an HTML page with status 200.
    assert all(error["ResponseCode"] != 200 for error in config.get("CustomErrorResponses", []))
