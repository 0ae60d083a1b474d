"""Issue 12, access audit and account lifecycle, against the real console process.

Every transcript read and every export lands in the audit log, which only
admins read; deactivating an account, changing its role or resetting its
password ends its sessions at once.
"""
import contextlib
import io

from cxm_store import audit
from cxm_store.__main__ import main
from tests.console.conftest import PASSWORD, seed_waiting


def entries(console, action):
    return audit.recent(action=action, engine=console.engine)


def cli(console, *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--database-url", console.database_url, *args]) == 0
    return out.getvalue()


def test_transcript_reads_and_exports_are_logged_and_only_admins_read_the_log(console):
    ids = seed_waiting(console.engine, messages=["paket saya belum sampai"])
    lead_name = console.user("lead")
    lead = console.client(lead_name)
    conversation = ids["conversation_id"]
    before = len(entries(console, "read_transcript"))
    assert lead.get(f"/api/conversations/{conversation}").status_code == 200
    assert lead.get(f"/api/conversations/{conversation}/messages").status_code == 200
    # Polling for new lines of a transcript already open is not a new read.
    assert lead.get(f"/api/conversations/{conversation}/messages?after=999999").status_code == 200
    reads = entries(console, "read_transcript")
    assert len(reads) == before + 2
    assert {(e["actor"], e["subject"]) for e in reads[:2]} == {(lead_name, f"conversation {conversation}")}
    # A refused read is not a read.
    intruder = console.client(console.user("agent"))
    assert intruder.get(f"/api/conversations/{conversation + 10_000}").status_code == 404
    assert len(entries(console, "read_transcript")) == before + 2

    export = lead.get("/api/dashboard/summary.csv?channel=web")
    assert export.status_code == 200
    [latest_export] = entries(console, "export")[:1]
    assert latest_export["actor"] == lead_name and latest_export["subject"] == "summary.csv"
    assert latest_export["detail"] == {"channel": ["web"]}

    for role in ("agent", "lead"):
        assert console.client(console.user(role)).get("/api/audit").status_code == 403
    admin = console.client(console.user("admin"))
    shown = admin.get("/api/audit?action=read_transcript").json()["entries"]
    assert shown[0]["actor"] == lead_name
    page = admin.get("/console/audit")
    assert page.status_code == 200 and "read_transcript" in page.text and lead_name in page.text
    assert "Audit log" in admin.get("/console").text  # in the admin's navigation
    assert "/console/audit" not in lead.get("/console").text


def test_a_deactivated_account_is_refused_at_once_and_cannot_log_in(console):
    name = console.user("agent")
    session = console.client(name)
    assert session.get("/api/queue").status_code == 200
    cli(console, "user", "deactivate", "--username", name)
    assert session.get("/api/queue").status_code == 401
    assert console.client().submit_login(name, PASSWORD).status_code != 303
    cli(console, "user", "reactivate", "--username", name)
    assert console.client(name).get("/api/queue").status_code == 200
    actions = [e["action"] for e in audit.recent(engine=console.engine) if e["subject"] == name]
    assert actions[:2] == ["user_reactivate", "user_deactivate"]


def test_a_role_change_ends_the_session_and_applies_at_the_next_login(console):
    name = console.user("agent")
    session = console.client(name)
    assert session.get("/api/dashboard/summary").status_code == 403
    cli(console, "user", "set-role", "--username", name, "--role", "lead")
    assert session.get("/api/queue").status_code == 401
    assert console.client(name).get("/api/dashboard/summary").status_code == 200


def test_a_password_reset_ends_sessions_and_only_the_new_password_works(console):
    name = console.user("agent")
    session = console.client(name)
    printed = cli(console, "user", "reset-password", "--username", name)
    new_password = printed.rsplit(": ", 1)[1].strip()
    assert session.get("/api/queue").status_code == 401
    assert console.client().submit_login(name, PASSWORD).status_code != 303
    fresh = console.client()
    fresh.login(name, new_password)
    assert fresh.get("/api/queue").status_code == 200
    [entry] = [e for e in entries(console, "user_password_reset") if e["subject"] == name]
    assert new_password not in str(entry)


def test_the_console_runs_the_retention_purge_on_its_schedule(console):
    # At start, then every CXM_PURGE_INTERVAL_HOURS: written like a purge from the command line.
    purges = entries(console, "purge")
    assert purges and purges[-1]["actor"] == audit.SCHEDULER
    assert set(purges[-1]["detail"]) >= {"messages", "tickets", "audit_entries"}
