"""Issue 12, CSV formula injection: what customers or accounts wrote is never a live formula.

The dashboard's CSV download against the real console process, and the
``report --format csv`` command, each with text a customer (or an account
name) could have written.
"""
import csv
import io
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from cxm_store import handoffs
from cxm_store.csv_cells import text_cell
from cxm_store.touchpoints import record_customer_message
from tests.console.conftest import ROOT, Console

INJECTIONS = ['=HYPERLINK("http://evil.example/x","klik")', "@SUM(1+1)", "-2+3 kenapa", "+cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text, shown", [
    ("=1+1", "'=1+1"), ("+62", "'+62"), ("-x", "'-x"), ("@a", "'@a"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("halo =1", "halo =1"), ("", ""), ("INV-2024-00123", "INV-2024-00123"),
])
def test_text_cells_starting_like_a_formula_are_quoted(text: str, shown: str) -> None:
    assert text_cell(text) == shown


def test_the_dashboard_csv_neutralises_customer_text(console: Console) -> None:
    for number, text in enumerate(INJECTIONS):
        record_customer_message(
            "rest", f"api-csv-{number}", text, datetime.utcnow() - timedelta(minutes=5), "id",
            intent="nlu_fallback", is_fallback=True, engine=console.engine,
        )
    lead = console.client(console.user("lead"))
    # A filter of its own: the default view may be cached from before these messages.
    reply = lead.get("/api/dashboard/voice-unrecognised.csv?range=7&channel=rest")
    assert reply.status_code == 200
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    texts = sorted(row["text"] for row in rows)
    assert len(texts) == len(INJECTIONS)
    assert all(t.startswith("'") and t[1] in "=+-@" for t in texts), texts
    assert any(t.lower().startswith("'=hyperlink(") for t in texts)
    # Numbers stay numbers.
    assert all(row["count"].isdigit() for row in rows)


def test_the_report_csv_neutralises_group_names(tmp_path) -> None:
    from cxm_store import schema
    from cxm_store.db import engine_for

    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    engine = engine_for(url)
    now = datetime.utcnow() - timedelta(hours=1)
    agent = "=HYPERLINK(\"http://evil.example\")"
    conversation = record_customer_message("web", "web-csv", "mau ngomong sama orang", now, "id", engine=engine)
    handoff = handoffs.request_handoff(conversation, now, reason="customer_asked", engine=engine)
    handoffs.claim_handoff(handoff, agent, now, engine=engine)
    handoffs.resolve_handoff(handoff, now + timedelta(minutes=1), agent=agent, engine=engine)
    done = subprocess.run(
        [sys.executable, "-m", "cxm_store", "--database-url", url, "report", "--since", "7d",
         "--by", "agent", "--format", "csv"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    groups = {row["group"] for row in csv.DictReader(io.StringIO(done.stdout)) if row["section"] == "by_agent"}
    assert "'" + agent in groups and agent not in groups
