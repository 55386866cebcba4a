"""The README's tour, run as printed against the real `make run` launcher (embedded moto, seed, chalice local)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tour_script() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## A tour"):]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_readme_tour_works_as_printed(tmp_path: Path) -> None:
    from infra.localstack import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CP_", "AWS_"))}
    log = (tmp_path / "launcher.log").open("wb")  # a pipe nobody reads fills up and blocks the launcher's processes
    launcher = subprocess.Popen([sys.executable, "infra/run_local.py"], cwd=ROOT, env={**env, "PORT": str(port), "WEB_PORT": str(free_port()), "PAY_PORT": str(free_port()),
                                                                             "PERSIST": "0", "RUN_DIR": str(tmp_path / "run")},
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                assert launcher.poll() is None and time.monotonic() < deadline, "make run did not start"
                time.sleep(0.3)
        # The tour's scratch files go to this test's own directory: another checkout's tour on the same machine writes
        # /tmp/evidence.zip too (and changes a byte of it), which made this one fail now and then.
        script = tour_script().replace("API=http://127.0.0.1:8000", f"API=http://127.0.0.1:{port}").replace("/tmp/", f"{tmp_path}/")
        script = script.replace("run/local.env", f"{tmp_path}/run/local.env")
        done = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, capture_output=True, text=True,
                              timeout=240, check=False, env={**env, "PATH": os.environ["PATH"]})
        out = done.stdout + done.stderr
        assert done.returncode == 0, out[-4000:]
        assert "attempt 2: " in out and '"code":"slot_taken"' in out
        assert "('completed', " in out
        assert out.count("OK: ") >= 3 and "8 attachments checked" in out and "tampered evidence is refused" in out
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            launcher.kill()
            raise
        finally:
            log.close()
