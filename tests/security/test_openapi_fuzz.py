"""Schemathesis against the console's /api/openapi.json: no answer is a server error.

Schemathesis runs from its own virtual environment (`.venv-fuzz`, made by
`make fuzz-tools`, part of `make test`): no release of it fits the pinned
pytest 8 and jsonschema 4.17 that Rasa needs in `.venv`. It drives every
operation of the description with generated parameters (valid and not),
signed in as a lead, and checks ``not_a_server_error``.
"""
import subprocess
from pathlib import Path

from tests.conftest import ROOT, require_service

SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "st"
EXAMPLES = 60


def test_schemathesis_finds_no_server_error_in_the_console_api(console):
    if not Path(SCHEMATHESIS).exists():
        require_service("schemathesis is not installed: make fuzz-tools")
    client = console.client(console.user("lead"))
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.http.cookies)
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{console.url}/api/openapi.json", "--checks", "not_a_server_error",
         "--hypothesis-max-examples", str(EXAMPLES), "--hypothesis-seed", "12", "--hypothesis-derandomize",
         "--base-url", console.url, "-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {client.csrf}",
         "--show-errors-tracebacks"],
        capture_output=True, text=True, timeout=600,
    )
    summary = [line for line in run.stdout.splitlines() if "passed" in line or "failed" in line or "errored" in line]
    print("\nschemathesis:", *summary[-3:], sep="\n  ")
    assert run.returncode == 0, run.stdout[-4000:]
