"""Time to first paint / DOMContentLoaded / all figures of the CX dashboard on a big store.

    PYTHONPATH=. .venv/bin/python bench/dashboard_paint.py [--conversations 1000000] [--runs 5]

Builds (once; cached as var/bench/dashboard-<N>.db) a store with N synthetic
conversations over the last 180 days (``cxm_store.synthetic.generate``, seed
7), starts ``python -m team_app`` on it, logs in as a lead with
headless Debian Chromium (Playwright) and loads ``/dashboard`` for the default
filter (last 30 days) and a filtered view (90 days, telegram, en, weekly).
Prints the median of ``--runs`` loads of: first contentful paint,
DOMContentLoaded, KPI cards drawn, and "all figures rendered" (every fetch drawn:
``body[data-ready]``), all in ms from navigation start. The server runs with
``CXM_DASHBOARD_CACHE_SECONDS=0`` so every load computes every figure (cold);
``--warm`` runs it with the default cache settings instead: the default view is
precomputed at start (and every 5 min), other filters are computed on first
use and kept 60 s, so the first run of the filtered view is cold and later
runs are warm.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cxm_store import auth, schema, synthetic  # noqa: E402
from cxm_store.db import engine_for  # noqa: E402

PASSWORD = "bench password 123"
CHROMIUM = "/usr/bin/chromium"


def build(conversations: int) -> str:
    path = ROOT / "var" / "bench" / f"dashboard-{conversations}.db"
    url = f"sqlite:///{path}"
    if path.exists() and path.with_suffix(".ready").exists():
        schema.upgrade(url)  # a cached file from an older schema gets the new migrations
        return url
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    schema.upgrade(url)
    # Fixed end so the cached file stays meaningful; the dashboard window is
    # relative to today, so the history ends today (UTC midnight after).
    end = datetime.utcnow().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    started = time.monotonic()
    written = synthetic.generate(engine_for(url), conversations, end - timedelta(days=180), end, seed=7)
    print(f"built {path} in {time.monotonic() - started:.0f} s: {written}", flush=True)
    with engine_for(url).begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    path.with_suffix(".ready").write_text(end.isoformat())
    return url


def ensure_lead(url: str) -> None:
    try:
        auth.create_user("benchlead", "Bench Lead", PASSWORD, "lead", engine=engine_for(url))
    except Exception:  # already there
        auth.set_password("benchlead", PASSWORD, engine=engine_for(url))


def serve(url: str, port: int, warm: bool) -> subprocess.Popen:
    # Plain http on loopback: the console's cookies must not be Secure here.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CXM_DATABASE_URL": url, "CXM_SECURE_COOKIES": "0",
           **({} if warm else {"CXM_DASHBOARD_CACHE_SECONDS": "0"})}
    process = subprocess.Popen(
        [sys.executable, "-m", "team_app", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


TIMINGS_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const fig = performance.getEntriesByName('figures-rendered')[0];
  const kpis = performance.getEntriesByName('kpis-rendered')[0];
  return {fcp: fcp ? fcp.startTime : null, dcl: nav.domContentLoadedEventEnd,
          kpis: kpis ? kpis.startTime : null, figures: fig ? fig.startTime : null};
}"""


def measure(page, base: str, query: str) -> dict:
    page.goto(f"{base}/dashboard?{query}", wait_until="domcontentloaded")
    page.wait_for_selector("body[data-ready]", timeout=120_000)
    if page.get_attribute("body", "data-ready") != "yes":
        raise SystemExit(f"dashboard failed to load figures for {query!r}")
    return page.evaluate(TIMINGS_JS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm", action="store_true", help="keep the server's 60 s figure cache")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_DASHBOARD_PORT", "8295")))
    args = parser.parse_args()
    url = build(args.conversations)
    if args.build_only:
        return
    ensure_lead(url)
    base = f"http://127.0.0.1:{args.port}"
    server = serve(url, args.port, args.warm)
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{base}/login?next=/dashboard")
            page.fill("#username", "benchlead")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard**")
            page.wait_for_selector("body[data-ready]", timeout=120_000)  # warms nothing else
            views = {
                "default (30 days)": "",
                "filtered (90 days, telegram, en, week)": "range=90&channel=telegram&language=en&grain=week",
            }
            print(f"dashboard on {args.conversations:,} conversations ({url}); ms from navigation start")
            for name, query in views.items():
                runs = [measure(page, base, query) for _ in range(args.runs)]
                cold = runs[0]
                med = {k: statistics.median(r[k] for r in runs) for k in ("fcp", "dcl", "kpis", "figures")}
                print(f"{name}: median of {args.runs}: first paint {med['fcp']:.0f}, "
                      f"DOMContentLoaded {med['dcl']:.0f}, KPI cards {med['kpis']:.0f}, "
                      f"all figures {med['figures']:.0f} (first run: KPI cards {cold['kpis']:.0f}, "
                      f"all figures {cold['figures']:.0f}; "
                      f"{'warm cache' if args.warm else 'no cache'})")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()
