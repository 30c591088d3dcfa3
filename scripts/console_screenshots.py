"""README screenshots of the live agent console, taken from a real server in a real Chromium.

    .venv/bin/python scripts/console_screenshots.py [--out docs/screenshots] [--keep]

Starts `python -m callcenter.devserver` on a free port with a fresh SQLite database (and instance
folder) in a temporary directory, so the demo data is seeded from scratch and nothing of the
checkout's own instance/ is touched. Redis: REDIS_URL if set, else an embedded redis-server that
this script starts and stops. Then it signs demo staff in through /login with Debian's
/usr/bin/chromium (Playwright, sync API, zh-CN) and writes:

    console.png         an agent's console (/desk/?view=mine) with the tickets they hold
    collision.png       a ticket page while a second agent of the same team has it open and types
    canned-picker.png   the same ticket page with the canned-responses picker open (Ctrl+/)
    screen-pop.png      the console with a screen pop (POST /api/v1/calls for a demo customer)
    agents-board.png    a supervisor on /desk/agents
    wallboard.png       the wallboard (/wallboard): the queue, agents, staffing, today's figures, SLA
    report.png          the report page (/reports) with its tables and charts
    wall-screen.png     the wall-screen mode at 1920x1080
    console-390-zh.png  the console at 390x844

Everything it started (web server, worker, Redis) is stopped at the end, also on failure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As tests/e2e/conftest.py: a closed network and a root user.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PASSWORD = "demo-pass-2026"  # callcenter/demo.py DEMO_PASSWORD
ADMIN = "admin@demo.callcenter"
SUPERVISOR = "supervisor@demo.callcenter"
AGENT = "chen.jie@demo.callcenter"  # 技术支持 Technical Support, holds two demo tickets
COLLEAGUE = "emma.liu@demo.callcenter"  # same team
CALLER = "138 0013 8000"  # 刘洋 (VIP), who has open tickets
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# A few more tickets for the agent's team, so that the console has rows to show.
EXTRA_TICKETS = [
    {"kind": "complaint", "channel": "phone", "category": "network", "priority": "P2",
     "subject": "光纤入户后网速只有 20M", "description": "办理的是 300M 宽带，测速一直只有 20M 左右。",
     "customer": {"name": "周强", "phone": "13700001111"}},
    {"kind": "service_request", "channel": "web", "category": "device",
     "subject": "申请上门更换光猫", "description": "光猫指示灯一直闪红灯，重启无效，希望上门更换。",
     "customer": {"name": "孙丽", "phone": "+86 139-1234-5678"}},
    {"kind": "inquiry", "channel": "email", "category": "network",
     "subject": "Roaming data not working in Hong Kong", "description": "My phone shows no data while roaming.",
     "customer": {"name": "Sarah Chen", "email": "sarah.chen@example.com"}},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base: str, token: str | None = None):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def ok(self, method: str, path: str, body: dict | None = None) -> dict:
        status, payload = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path} -> {status}: {payload}")
        return payload


class Server:
    """The devserver (web + worker) on a temporary database, and Redis if none was given."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.redis = None
        self.process: subprocess.Popen | None = None
        self.log = open(workdir / "devserver.log", "w")  # noqa: SIM115 - closed in stop()
        self.env = os.environ.copy()
        self.env.update({
            "DATABASE_URL": f"sqlite:///{workdir / 'callcenter.db'}",
            "CALLCENTER_INSTANCE": str(workdir / "instance"),
            "CALLCENTER_ENV": "development",
            "PORT": str(self.port),
            "PUBLIC_BASE_URL": self.base,
            "MAIL_BACKEND": "log",
            "SMS_BACKEND": "log",
            # The demo's agents have no browser open: keep them as the demo left them (available)
            # rather than away after 30 s, so that the pictures do not depend on the timing.
            "PRESENCE_CONSOLELESS_AWAY_SECONDS": "0",
            "PRESENCE_AWAY_AFTER_SECONDS": "3600",
        })

    def start(self) -> None:
        if not self.env.get("REDIS_URL"):
            from callcenter.embedded_redis import EmbeddedRedis

            self.redis = EmbeddedRedis()
            self.env["REDIS_URL"] = self.redis.url
        # Its own process group, so that stop() ends the web server and its worker together.
        self.process = subprocess.Popen([sys.executable, "-m", "callcenter.devserver"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"devserver exited ({self.process.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"devserver did not answer on {self.base}; see {self.log.name}")

    def flask(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                              check=True, capture_output=True, text=True, timeout=120).stdout.strip()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the devserver stops its worker itself
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process:
            try:  # anything of its group left behind (the worker's work horse)
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if self.redis is not None:
            self.redis.stop()
        self.log.close()


def prepare(api: Api) -> dict:
    """The agent holds a handful of tickets; returns the ids the pictures need."""
    agents = {a["email"]: a for a in api.ok("GET", "/api/v1/agents?per_page=100")["items"]}
    agent = agents[AGENT]
    for body in EXTRA_TICKETS:
        ticket = api.ok("POST", "/api/v1/tickets", body)
        api.ok("POST", f"/api/v1/tickets/{ticket['id']}/assign",
               {"agent_id": agent["id"], "override": True, "pin": True})
    held = api.ok("GET", f"/api/v1/tickets?assignee_id={agent['id']}&per_page=100")["items"]
    # The picture's ticket: the 5G complaint from 刘洋 (a conversation already under way).
    ticket = next((t for t in held if "5G" in t["subject"]), held[0])
    return {"agent_id": agent["id"], "ticket_id": ticket["id"], "held": len(held)}


def shoot(base: str, out: Path, ids: dict, api: Api, inspect: Path | None = None) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    written = []

    def save(page, name: str, **kw) -> None:
        path = out / name
        page.screenshot(path=str(path), **kw)
        written.append(path)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
        if inspect is not None:  # the whole page too, and whether anything sticks out sideways
            page.screenshot(path=str(inspect / name), full_page=True)
            wide = page.evaluate("""() => ({page: document.documentElement.scrollWidth, view: innerWidth,
                wider: [...document.querySelectorAll('body *')].filter(e => e.scrollWidth > e.clientWidth + 1
                    && getComputedStyle(e).overflowX !== 'visible').map(e => `${e.tagName}.${e.className} ${e.clientWidth}<${e.scrollWidth}`)})""")
            print(f"  full page: {inspect / name}; widths {wide}", flush=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

        def signed_in(email: str, viewport=DESKTOP):
            context = browser.new_context(base_url=base, locale="zh-CN", timezone_id="Asia/Shanghai",
                                          viewport=viewport)
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto("/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/desk/**")
            return page

        def settled(page) -> None:
            expect(page.locator("body")).to_have_attribute("data-live", "on")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)  # the live-state badge and any redraw settle

        try:
            agent = signed_in(AGENT)
            agent.goto("/desk/?view=mine")
            settled(agent)
            save(agent, "console.png")

            # A call for the agent: the screen pop on the console.
            api.ok("POST", "/api/v1/calls", {"caller": CALLER, "agent_id": ids["agent_id"]})
            expect(agent.locator("#screen-pop")).to_be_visible()
            agent.wait_for_timeout(300)
            save(agent, "screen-pop.png")

            # Two agents of one team on one ticket; the second is typing.
            agent.goto(f"/desk/tickets/{ids['ticket_id']}")
            settled(agent)
            colleague = signed_in(COLLEAGUE)
            colleague.goto(f"/desk/tickets/{ids['ticket_id']}")
            settled(colleague)
            box = colleague.locator("#reply-form textarea[name=body]")
            box.fill("您好，我这边查到小区基站正在扩容，预计本周内完成。")
            box.press("End")  # an input event: typing is told
            viewers = agent.locator("#viewers")
            expect(viewers).to_be_visible()
            expect(viewers).to_contain_text("正在输入")
            agent.wait_for_timeout(300)
            save(agent, "collision.png")

            # The canned-responses picker, opened from the reply box with Ctrl+/.
            colleague.context.close()
            reply = agent.locator("#reply-form textarea[name=body]")
            reply.scroll_into_view_if_needed()
            reply.click()
            reply.press("Control+/")
            popup = agent.locator("[data-canned-popup]")
            expect(popup).to_be_visible()
            expect(popup.locator("[data-canned-list] li").first).to_be_visible()
            popup.scroll_into_view_if_needed()
            agent.wait_for_timeout(300)
            save(agent, "canned-picker.png")
            agent.context.close()

            supervisor = signed_in(SUPERVISOR)
            supervisor.goto("/desk/agents")
            settled(supervisor)
            save(supervisor, "agents-board.png")
            supervisor.goto("/wallboard")
            settled(supervisor)
            save(supervisor, "wallboard.png", full_page=True)
            supervisor.goto("/reports")
            settled(supervisor)
            supervisor.wait_for_timeout(1500)  # the charts draw themselves
            save(supervisor, "report.png", full_page=True)
            supervisor.context.close()

            wall = signed_in(SUPERVISOR, {"width": 1920, "height": 1080})
            wall.goto("/wallboard/screen")
            settled(wall)
            save(wall, "wall-screen.png")
            wall.context.close()

            narrow = signed_in(AGENT, PHONE)
            narrow.goto("/desk/?view=mine")
            settled(narrow)
            save(narrow, "console-390-zh.png")
            narrow.context.close()
        finally:
            browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--inspect", metavar="DIR", help="also write full-page copies there (for checking layouts)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, server log)")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        print(f"needs Chromium at {CHROMIUM} (apt-get install chromium), or set CHROMIUM_PATH", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="callcenter-screens-"))
    server = Server(workdir)
    try:
        server.start()
        print(f"devserver on {server.base} (database {workdir / 'callcenter.db'})", flush=True)
        token = server.flask("tokens", "create", ADMIN).splitlines()[-1].strip()
        api = Api(server.base, token)
        ids = prepare(api)
        print(f"agent {AGENT} (id {ids['agent_id']}) holds {ids['held']} tickets; ticket page {ids['ticket_id']}",
              flush=True)
        inspect = Path(args.inspect).resolve() if args.inspect else None
        if inspect:
            inspect.mkdir(parents=True, exist_ok=True)
        shoot(server.base, out, ids, api, inspect)
    finally:
        server.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
