"""The report command line, run as a subprocess against the seeded history."""
import csv
import io
import json
import os
import subprocess
import sys

import pytest

from cxm_store.duration_rollups import error_bound

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAY = ["--since", "2024-05-01", "--until", "2024-06-01"]


def _run(url, *args):
    result = subprocess.run(
        [sys.executable, "-m", "cxm_store", "--database-url", url, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def _report(url, *args):
    result = _run(url, "report", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_table(history):
    _, _, url = history
    out = _report(url, *MAY, "--by", "channel", "--format", "table")
    lines = out.splitlines()
    # Dates are Jakarta midnights (UTC+7), shown in UTC like every stored time.
    assert lines[0] == "CX report: 2024-04-30 17:00:00 to 2024-05-31 17:00:00 (end excluded)"
    assert lines[1] == "Previous period: 2024-03-30 17:00:00 to 2024-04-30 17:00:00 (end excluded)"
    # Current 11 vs C0 alone before; containment 50 vs 100; NPS none before.
    assert lines[5].split() == ["Conversations", "11", "1", "+10"]
    assert "Containment %" in out and ["50.0", "100.0", "-50.0"] == _row(lines, "Containment %")
    assert _row(lines, "NPS") == ["33.3", "-", "-"]
    # From the duration histograms: within 1 s + 5 % of the exact 540 s.
    wait_p90, before, change = _row(lines, "Handoff wait p90 (s)")
    assert abs(float(wait_p90) - 540) <= error_bound(540) and (before, change) == ("-", "-")
    assert "By channel:" in lines
    by = lines[lines.index("By channel:") + 1 :]
    assert by[0].split() == ["Metric", "rest", "telegram", "web"]
    assert _row(by, "Conversations") == ["2", "3", "6"]
    assert _row(by, "Containment %") == ["0.0", "33.3", "80.0"]


def _row(lines, label):
    line = next(line for line in lines if line.startswith(label + " "))
    return line[len(label) :].split()


def test_json(history):
    _, _, url = history
    doc = json.loads(_report(url, *MAY, "--by", "language", "--format", "json"))
    assert doc["window"] == {"start": "2024-04-30T17:00:00", "end": "2024-05-31T17:00:00"}
    assert doc["summary"]["conversations"] == {"current": 11, "previous": 1, "change": 10}
    assert doc["summary"]["fcr_rate"]["current"] == pytest.approx(400 / 6)
    groups = {g["language"]: g["metrics"] for g in doc["breakdown"]["groups"]}
    # en: C3 C4 C6 C7 C11 = 5; id: C1 C2 C5 C8 C9 C10 = 6.
    assert groups["en"]["conversations"] == 5 and groups["id"]["conversations"] == 6


def test_csv_with_filter(history):
    _, _, url = history
    out = _report(url, *MAY, "--channel", "web", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    values = {(r["section"], r["group"], r["metric"]): r["value"] for r in rows}
    # web in May: C1 C2 C5 C6 C7 C11 = 6; before: C0 = 1.
    assert values[("current", "", "conversations")] == "6"
    assert values[("previous", "", "conversations")] == "1"
    # web closed 5 (C7 open), contained C1 C2 C5 C11 = 80 %.
    assert float(values[("current", "", "containment_rate")]) == pytest.approx(80.0)
    # No handoff wait on web: empty cell, not 0.
    assert values[("current", "", "handoff_wait_median_s")] == ""
    assert not any(r["section"].startswith("by_") for r in rows)


def test_csv_breakdown_rows(history):
    _, _, url = history
    rows = list(csv.DictReader(io.StringIO(_report(url, *MAY, "--by", "agent", "--format", "csv"))))
    by_agent = {(r["group"], r["metric"]): r["value"] for r in rows if r["section"] == "by_agent"}
    assert by_agent[("ani", "conversations")] == "2"
    assert by_agent[("(none)", "conversations")] == "8"


def test_relative_since_and_bad_input(history):
    _, _, url = history
    # 4w before 2024-06-01 00:00 Jakarta (05-31 17:00 UTC) = 05-03 17:00 UTC:
    # C1 (05-06) onwards, 11 conversations.
    doc = json.loads(_report(url, "--since", "4w", "--until", "2024-06-01", "--format", "json"))
    assert doc["window"]["start"] == "2024-05-03T17:00:00"
    assert doc["summary"]["conversations"]["current"] == 11
    # 7d before 2024-05-13 Jakarta = [05-05 17:00, 05-12 17:00) UTC:
    # C1 C2 (05-12 09:00) C3 C5 C6 C7 C8 = 7.
    doc = json.loads(_report(url, "--since", "7d", "--until", "2024-05-13", "--format", "json"))
    assert doc["summary"]["conversations"]["current"] == 7
    bad = _run(url, "report", "--since", "yesterday")
    assert bad.returncode == 2 and "expected 7d" in bad.stderr
    assert _run(url, "report", "--since", "2024-06-01", "--until", "2024-05-01").returncode == 2


def test_upgrade_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _run(url, "upgrade")
    assert result.returncode == 0, result.stderr
    out = _report(url, "--since", "30d", "--format", "json")
    assert json.loads(out)["summary"]["conversations"]["current"] == 0
