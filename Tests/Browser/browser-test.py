#!/usr/bin/env python3
"""The command office's pages in a real browser (issue 18): dutyd on the simulated clock with the shipped plan and a
generated roster, the shipped nginx site in front of its socket (basic auth, read-only), headless Chromium driven
over the DevTools protocol (websocket-client).

Checks: every page loads without console errors or failed requests; one h1, table headers, labelled form fields,
a lang attribute, a skip link and keyboard focus that moves through links with a visible outline; hostile schedule
text (<script>, quotes, long Chinese) shows as text and the page does not overflow; the visit chart's bars and the
table equal /v1/reports/visits, which equals a count made here from the ledger file with sqlite3 and the roster;
the bulletin prints to an A4 PDF whose text pdftotext reads back, and dutyd's own PDF reads back too; pages come
gzip-compressed; nginx refuses other methods and requests without the password; the calendar feed answers 304 to
its ETag and Last-Modified; `dutyctl report visits --csv` gives the same numbers with a BOM.

    Tests/Browser/browser-test.py [--bin DIR] [--screenshots DIR]

--screenshots writes one small PNG per page (make screenshots: docs/screenshots/). Prints 'N passed, N failed'.
"""
import argparse
import base64
import csv
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import websocket  # websocket-client

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOCK_START = "2018-10-20T09:00:00+08:00"
HOSTILE = "<script>console.error('xss-title')</script>\"'&<img src=x onerror=console.error('xss-img')>"
LONG_CHINESE = "关于全面推进东川区禄劝县脱贫攻坚工作方案的通知要求各乡镇认真落实" * 9
PASSWORD = "test-" + hashlib.sha1(os.urandom(8)).hexdigest()[:12]

passed = 0
failures = []


def check(condition, what):
    global passed
    if condition:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what, flush=True)


def wait_for(predicate, what, timeout=60):
    """Waits for a condition that an event makes true (a socket answering, a file appearing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def socket_call(sock, method, path, body=None, content_type="application/json"):
    conn = UnixHTTP(sock)
    headers = {"Content-Type": content_type} if body is not None else {}
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode()
    elif isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def lan(port, method, path, auth=True, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if auth:
        h["Authorization"] = "Basic " + base64.b64encode(f"office:{PASSWORD}".encode()).decode()
    conn.request(method, path, headers=h)
    response = conn.getresponse()
    data = response.read()
    result = (response.status, dict((k.lower(), v) for k, v in response.getheaders()), data)
    conn.close()
    return result


class DevTools:
    """A small Chrome DevTools protocol client over one browser websocket with a flat session per page."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise RuntimeError("no answer to " + method)

    def wait_event(self, method, session, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(json.loads(self.ws.recv()))
        raise RuntimeError("no event " + method)

    def evaluate(self, expression, session):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise RuntimeError("evaluate failed: " + json.dumps(result["exceptionDetails"])[:300])
        return result["result"].get("value")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def toml_string(text):
    return json.dumps(text, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=None)
    parser.add_argument("--screenshots", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    bin_dir = args.bin or subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip()
    work = tempfile.mkdtemp(prefix="dutyd-browser-")
    os.chmod(work, 0o755)
    processes = []
    try:
        run(work, bin_dir, args, processes)
    finally:
        for p in reversed(processes):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work)
    print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


def run(work, bin_dir, args, processes):
    # --- schedules: the shipped plan, a 300-household roster in place of the sample, and a hostile duty
    extra = os.path.join(work, "schedules")
    os.makedirs(os.path.join(extra, "rosters"))
    roster = os.path.join(extra, "rosters", "households-sample.csv")
    subprocess.check_call([sys.executable, os.path.join(ROOT, "scripts/gen-roster.py"), "--count", "300", roster])
    shutil.copy(os.path.join(ROOT, "Schedules/visits.toml"), os.path.join(extra, "visits.toml"))
    with open(os.path.join(extra, "hostile.toml"), "w") as f:
        f.write(f"""[defaults]
timezone = "Asia/Shanghai"

[[duty]]
id          = "hostile-title"
title       = {toml_string(HOSTILE + LONG_CHINESE)}
description = {toml_string(HOSTILE + " " + LONG_CHINESE)}
clause      = {toml_string(HOSTILE)}
responsible = ["tangdan-township"]
due         = 2018-10-22T09:00:00
ack         = true
grace       = "1d"
""")
    state = os.path.join(work, "state")
    sock = os.path.join(work, "dutyd.sock")
    log = open(os.path.join(work, "dutyd.log"), "w")
    dutyd = subprocess.Popen(
        [os.path.join(bin_dir, "dutyd"), "--schedules", os.path.join(ROOT, "Schedules"), "--schedules", extra,
         "--state-dir", state, "--socket", sock, "--socket-group", "www-data", "--mail-spool", os.path.join(work, "spool"),
         "--private-spool", "--no-journal", "--clock-start", CLOCK_START, "--clock-rate", "1"],
        stdout=log, stderr=subprocess.STDOUT)
    processes.append(dutyd)

    def ready():
        try:
            return socket_call(sock, "GET", "/v1/status")[0] == 200
        except OSError:
            return False
    wait_for(ready, "dutyd's socket")

    # --- events: three rankings (the bottom three twice interviewed, then escalated), problems, acknowledgements
    import tomllib
    with open(os.path.join(ROOT, "Schedules/townships.toml"), "rb") as f:
        townships = [t["id"] for t in tomllib.load(f)["township"]]
    status, data = socket_call(sock, "GET", "/v1/interviews")
    check(status == 200, "interviews answer")
    for period in ["2018-08", "2018-09", "2018-10"]:
        rows = ["township,score"] + [f"{t},{90 - i}" for i, t in enumerate(townships)]
        status, data = socket_call(sock, "POST", f"/v1/rankings/{period}", "\n".join(rows) + "\n", "text/csv")
        check(status == 200, f"ranking {period} accepted ({status} {data[:200]!r})")
    status, data = socket_call(sock, "POST", "/v1/problems",
                               {"township": "tangdan", "text": HOSTILE + LONG_CHINESE, "deadline": "2018-10-25"})
    check(status == 201, f"hostile problem recorded ({status} {data[:200]!r})")
    status, data = socket_call(sock, "POST", "/v1/problems",
                               {"township": "tongdu", "text": "饮水安全未达标，3户未通自来水", "deadline": "2018-10-15"})
    check(status == 201, "problem recorded")
    closed_id = json.loads(data)["id"]
    status, data = socket_call(sock, "POST", f"/v1/problems/{closed_id}/close", {"note": "已整改，复查通过"})
    check(status == 200, "problem closed")

    status, data = socket_call(sock, "GET", "/v1/reports/visits?month=2018-09")
    check(status == 200, "visit report answers")
    september = json.loads(data)
    open_ids = sorted(i for c in september["cadres"] for i in c["overdue_occurrences"])
    cadre_of = {i: c["id"] for c in september["cadres"] for i in c["overdue_occurrences"]}
    for n, occurrence in enumerate(open_ids):
        if n % 3 == 0 or occurrence.startswith("visit-tangdan"):
            status, _ = socket_call(sock, "POST", f"/v1/occurrences/{occurrence}/ack",
                                    {"person": cadre_of[occurrence], "note": "已入户走访"})
            check(status == 200, f"acknowledged {occurrence}")

    # --- the independent count: acknowledgements in the ledger file, households from the roster
    ledger = sqlite3.connect(f"file:{os.path.join(state, 'dutyd.sqlite')}?mode=ro", uri=True)
    acked = {row[0] for row in ledger.execute("SELECT DISTINCT occurrence_id FROM acknowledgement")}
    ledger.close()
    township_of = {}
    with open(roster, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            township_of["visit-" + row["household_id"]] = row["township_id"]
    start = 1535731200   # 2018-09-01T00:00:00+08:00
    end = 1538323200     # 2018-10-01T00:00:00+08:00
    expected = {}
    for duty, t in township_of.items():
        e = expected.setdefault(t, {"due": 0, "acknowledged": 0})
        e["due"] += 1
    for occurrence in acked:
        duty, _, at = occurrence.partition("@")
        if duty in township_of and start <= int(at) < end:
            expected[township_of[duty]]["acknowledged"] += 1
    for e in expected.values():
        e["overdue"] = e["due"] - e["acknowledged"]   # the clock is past 2018-09-30 17:30 + 3d grace
        e["pending"] = 0
    status, data = socket_call(sock, "GET", "/v1/reports/visits?month=2018-09")
    report = json.loads(data)
    by_township = {g["id"]: g["counts"] for g in report["townships"] if g["counts"]["due"] > 0}
    check(by_township == expected, f"the visit report equals the ledger count: {by_township} vs {expected}")
    check(report["total"]["acknowledged"] == sum(1 for o in acked if o.split("@")[0] in township_of and start <= int(o.split("@")[1]) < end),
          "total acknowledged equals the ledger")

    # --- nginx in front, the shipped site with the test's socket, port and password
    port = free_port()
    prefix = os.path.join(work, "nginx")
    os.makedirs(os.path.join(prefix, "tmp"))
    salt = os.urandom(8)
    digest = hashlib.sha1(PASSWORD.encode() + salt).digest()
    with open(os.path.join(prefix, "htpasswd"), "w") as f:
        f.write("office:{SSHA}" + base64.b64encode(digest + salt).decode() + "\n")
    os.chmod(os.path.join(prefix, "htpasswd"), 0o644)
    site = open(os.path.join(ROOT, "packaging/nginx/dutyd-web.conf")).read()
    site = site.replace("unix:/run/dutyd/dutyd.sock", "unix:" + sock)
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};").replace("listen [::]:8080;", "")
    site = site.replace("/etc/nginx/dutyd.htpasswd", os.path.join(prefix, "htpasswd"))
    check(site.count(sock) == 1 and f"127.0.0.1:{port}" in site, "the shipped site has the expected placeholders")
    with open(os.path.join(prefix, "site.conf"), "w") as f:
        f.write(site)
    temp = os.path.join(prefix, "tmp")
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(f"""user www-data;
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {prefix}/site.conf;
}}
""")
    nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"), "-g", "daemon off;"],
                             stdout=open(os.path.join(prefix, "stdout.log"), "w"), stderr=subprocess.STDOUT)
    processes.append(nginx)

    def nginx_up():
        try:
            return lan(port, "GET", "/v1/status")[0] == 200
        except OSError:
            return False
    wait_for(nginx_up, "nginx")

    check(lan(port, "GET", "/", auth=False)[0] == 401, "no password: 401")
    check(lan(port, "GET", "/", headers={"Authorization": "Basic " + base64.b64encode(b"office:wrong").decode()}, auth=False)[0] == 401,
          "wrong password: 401")
    check(lan(port, "POST", "/v1/reload")[0] == 403, "POST through nginx: 403")
    check(lan(port, "DELETE", "/v1/problems/1")[0] == 403, "DELETE through nginx: 403")
    check(lan(port, "GET", "/metrics")[0] == 404, "metrics stay on the host")
    status, headers, body = lan(port, "HEAD", "/visits")
    check(status == 200 and body == b"", f"HEAD passes ({status})")
    status, headers, body = lan(port, "GET", "/", headers={"Accept-Encoding": "gzip"})
    check(status == 200 and headers.get("content-encoding") == "gzip", "the overview comes gzip-compressed")
    check(b"<h1>" in gzip.decompress(body), "the compressed page inflates")
    status, headers, body = lan(port, "GET", "/v1/reports/visits?month=2018-09&format=csv")
    check(status == 200 and body.startswith(b"\xef\xbb\xbf") and "text/csv" in headers.get("content-type", ""), "CSV with a BOM")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    csv_counts = {r[2]: (int(r[3]), int(r[4]), int(r[5])) for r in rows[1:] if r[2]}
    check(all(csv_counts.get(t) == (e["due"], e["acknowledged"], e["overdue"]) for t, e in expected.items()), "CSV numbers equal the ledger count")

    status, headers, body = lan(port, "GET", "/v1/calendar.ics?township=tangdan")
    check(status == 200 and body.startswith(b"BEGIN:VCALENDAR") and "etag" in headers and "last-modified" in headers, "calendar feed")
    check(b"UID:hostile-title@" in body, "the feed holds the township's one-off duty")
    status2, _, _ = lan(port, "GET", "/v1/calendar.ics?township=tangdan", headers={"If-None-Match": headers.get("etag", "")})
    check(status2 == 304, f"If-None-Match: 304 ({status2})")
    status3, _, _ = lan(port, "GET", "/v1/calendar.ics?township=tangdan", headers={"If-Modified-Since": headers.get("last-modified", "")})
    check(status3 == 304, f"If-Modified-Since: 304 ({status3})")
    try:
        import icalendar
        calendar = icalendar.Calendar.from_ical(body)
        check(len(calendar.walk("VEVENT")) > 10, "icalendar reads the feed")
    except ImportError:
        pass

    env = dict(os.environ, DUTYD_SOCKET=sock)
    out = subprocess.run([os.path.join(bin_dir, "dutyctl"), "report", "visits", "--month", "2018-09", "--csv"],
                         capture_output=True, env=env)
    check(out.returncode == 0 and out.stdout.startswith(b"\xef\xbb\xbf"), f"dutyctl report visits --csv ({out.stderr[:200]!r})")
    cli_rows = list(csv.reader(io.StringIO(out.stdout.decode("utf-8-sig"))))
    check({r[2]: (int(r[3]), int(r[4]), int(r[5])) for r in cli_rows[1:] if r[2]} == csv_counts, "dutyctl's CSV equals the API's")

    # --- Chromium over the DevTools protocol
    profile = os.path.join(work, "chrome")
    chrome = subprocess.Popen(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", "--remote-allow-origins=*",
         f"--user-data-dir={profile}", "--window-size=1280,900", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1", "about:blank"],
        stdout=open(os.path.join(work, "chrome.log"), "w"), stderr=subprocess.STDOUT)
    processes.append(chrome)
    active = os.path.join(profile, "DevToolsActivePort")
    wait_for(lambda: os.path.exists(active) and len(open(active).read().split("\n")) >= 2, "Chromium's DevTools port")
    devtools_port, path = open(active).read().split("\n")[:2]
    cdp = DevTools(f"ws://127.0.0.1:{devtools_port}{path}")
    target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ["Page", "Runtime", "Log", "Network"]:
        cdp.call(f"{domain}.enable", {}, session)
    cdp.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
    auth = "Basic " + base64.b64encode(f"office:{PASSWORD}".encode()).decode()
    cdp.call("Network.setExtraHTTPHeaders", {"headers": {"Authorization": auth, "Accept-Language": "zh-CN,zh;q=0.9"}}, session)
    base = f"http://127.0.0.1:{port}"

    def visit(path, expect_status=200):
        cdp.events.clear()
        cdp.call("Page.navigate", {"url": base + path}, session)
        cdp.wait_event("Page.loadEventFired", session)
        # Everything the page asked for has settled once the load event fired (no script, no external asset).
        problems = []
        for e in cdp.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                problems.append("console: " + json.dumps(params.get("args"))[:200])
            elif method == "Runtime.exceptionThrown":
                problems.append("exception: " + json.dumps(params)[:200])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                if not (expect_status != 200 and entry.get("source") == "network"):
                    problems.append("log: " + entry.get("text", "")[:200])
            elif method == "Network.loadingFailed":
                problems.append("failed request: " + json.dumps(params)[:200])
            elif method == "Network.responseReceived":
                status, url = params["response"]["status"], params["response"]["url"]
                if (url == base + path and status != expect_status) or (url != base + path and status >= 400):
                    problems.append(f"response {status} for {url}")
        check(not problems, f"{path}: no console errors or failed requests {problems}")
        return problems

    def structure(path, name):
        facts = cdp.evaluate("""(() => {
            const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
            const fields = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
            const tables = [...document.querySelectorAll('table')];
            return {
              lang: document.documentElement.lang,
              h1: document.querySelectorAll('h1').length,
              scripts: document.querySelectorAll('script').length,
              images: document.querySelectorAll('img').length,
              unlabelled: fields.filter(f => !f.labels || f.labels.length === 0).length,
              headless: tables.filter(t => t.querySelectorAll('th').length === 0).length,
              colHeaders: [...document.querySelectorAll('thead th')].filter(th => th.getAttribute('scope') !== 'col').length,
              overflow: document.documentElement.scrollWidth - window.innerWidth,
              skip: !!document.querySelector('a.skip[href="#main"]'),
              main: !!document.querySelector('main#main'),
              nav: !!document.querySelector('nav[aria-label]'),
              text: document.body.innerText,
              headings: [...document.querySelectorAll('h1,h2,h3')].map(h => +h.tagName[1]),
            };
        })()""", session)
        check(facts["lang"] in ("zh-CN", "en"), f"{name}: html lang ({facts['lang']})")
        check(facts["h1"] == 1, f"{name}: one h1 ({facts['h1']})")
        check(facts["scripts"] == 0 and facts["images"] == 0, f"{name}: no script or img element (hostile text stays text)")
        check(facts["unlabelled"] == 0, f"{name}: every form field has a label")
        check(facts["headless"] == 0 and facts["colHeaders"] == 0, f"{name}: tables have headers with scope")
        check(facts["overflow"] <= 1, f"{name}: no horizontal overflow ({facts['overflow']}px)")
        check(facts["skip"] and facts["main"] and facts["nav"], f"{name}: skip link, main landmark, labelled nav")
        levels = facts["headings"]
        check(all(b - a <= 1 for a, b in zip(levels, levels[1:])) and levels[:1] == [1], f"{name}: heading levels {levels}")
        return facts

    def press(key, code, vk):
        for kind in ("keyDown", "keyUp"):
            cdp.call("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": vk}, session)

    def keyboard(name):
        press("Tab", "Tab", 9)
        first = cdp.evaluate("({cls: document.activeElement.className, left: document.activeElement.getBoundingClientRect().left})", session)
        check(first["cls"] == "skip" and first["left"] >= 0, f"{name}: the first Tab reaches the visible skip link {first}")
        press("Enter", "Enter", 13)
        cdp.evaluate("new Promise(r => requestAnimationFrame(() => r(1)))", session)
        check(cdp.evaluate("document.activeElement.id", session) == "main", f"{name}: Enter on the skip link moves focus to main")
        for i in range(6):
            press("Tab", "Tab", 9)
            focused = cdp.evaluate("""(() => { const e = document.activeElement; const s = getComputedStyle(e);
                return {tag: e.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()""", session)
            if focused["tag"] == "BODY":
                break
            check(focused["tag"] in ("A", "BUTTON", "INPUT", "SELECT") and focused["outline"] != "none" and focused["width"] >= 2,
                  f"{name}: Tab {i + 1} focuses a control with a visible outline {focused}")

    def screenshot(name):
        if not args.screenshots:
            return
        os.makedirs(args.screenshots, exist_ok=True)
        shot = cdp.call("Page.captureScreenshot", {"format": "png", "clip": {"x": 0, "y": 0, "width": 1280, "height": 900, "scale": 0.6}}, session)
        with open(os.path.join(args.screenshots, name + ".png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    first_ack = next(o for n, o in enumerate(open_ids) if n % 3 == 0)
    pages = [
        ("overview", "/"),
        ("calendar", "/calendar?month=2018-10"),
        ("visits", "/visits?month=2018-09"),
        ("visits-township", "/visits?month=2018-09&township=" + sorted(expected)[0]),
        ("interviews", "/interviews"),
        ("problems", "/problems"),
        ("duty", "/duties/hostile-title"),
        ("occurrence", "/occurrences/" + first_ack),
        ("bulletins", "/bulletins"),
        ("bulletin", "/bulletins/tangdan/2018-10"),
        ("overview-en", "/?lang=en"),
    ]
    texts = {}
    for name, path in pages:
        visit(path)
        texts[name] = structure(path, name)["text"]
        screenshot(name)
    keyboard("overview")
    visit("/calendar?month=2018-10")
    keyboard("calendar")

    # hostile text shows as text on the pages that carry it
    for name in ["overview", "calendar", "problems", "duty"]:
        check("<script>console.error('xss-title')</script>" in texts[name], f"{name}: the hostile title reads as text")
    check("关于全面推进东川区禄劝县脱贫攻坚工作方案" in texts["duty"], "duty: the long Chinese title is shown")
    check("Overview" in texts["overview-en"] and "总览" in texts["overview"], "Chinese by default, English by ?lang=en")
    check("已整改，复查通过" in texts["problems"], "problems: the closing note")
    check("组织处理" in texts["interviews"], "interviews: the escalation after the third ranking")
    check("已入户走访" in texts["occurrence"], "occurrence: the acknowledgement with its note")

    # an unknown page is an HTML 404 (the API keeps JSON)
    visit("/no-such-page", expect_status=404)
    check(cdp.evaluate("document.querySelector('h1').innerText", session).startswith("404"), "unknown page: HTML 404")
    status, headers, body = lan(port, "GET", "/v1/no-such-endpoint")
    check(status == 404 and headers.get("content-type") == "application/json", "unknown API path: JSON 404")

    # the chart's bars and the table equal the report and the ledger
    visit("/visits?month=2018-09")
    bars = cdp.evaluate("""[...document.querySelectorAll('#visit-chart g.bar')].map(g => ({
        id: g.dataset.id, due: +g.dataset.due, acknowledged: +g.dataset.acknowledged, overdue: +g.dataset.overdue,
        pending: +g.dataset.pending, ack: +g.querySelector('rect.ack').getAttribute('width'),
        late: +g.querySelector('rect.late').getAttribute('width'),
        row: [...document.querySelectorAll('#visit-table tbody tr[data-id="' + g.dataset.id + '"] td')].map(td => td.innerText.trim())}))""",
                        session)
    drawn = {b["id"]: {"due": b["due"], "acknowledged": b["acknowledged"], "overdue": b["overdue"], "pending": b["pending"]}
             for b in bars if b["due"] > 0}
    check(drawn == expected, f"the chart's bars equal the ledger count: {drawn} vs {expected}")
    largest = max(b["due"] for b in bars)
    check(all(abs(b["ack"] - round(b["acknowledged"] / largest * 420)) <= 1 and abs(b["late"] - round(b["overdue"] / largest * 420)) <= 1
              for b in bars), "bar lengths are proportional to the numbers")
    check(all(b["row"][:4] == [str(b["due"]), str(b["acknowledged"]), str(b["overdue"]), str(b["pending"])] for b in bars),
          "the table under the chart shows the same numbers")

    # the bulletin prints to A4 and reads back; dutyd's own PDF reads back too
    visit("/bulletins/tangdan/2018-10")
    pdf = base64.b64decode(cdp.call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}, session)["data"])
    printed = os.path.join(work, "bulletin-printed.pdf")
    open(printed, "wb").write(pdf)
    text = "".join(subprocess.check_output(["pdftotext", "-enc", "UTF-8", printed, "-"], text=True).split())
    info = subprocess.check_output(["pdfinfo", printed], text=True)
    check("汤丹镇2018-10脱贫攻坚工作通报" in text, "printed bulletin: the title reads back")
    check("问题整改台账" in text and "约谈情况" in text, "printed bulletin: its sections read back")
    check("跳到正文" not in text and "约谈与组织处理" not in text, "printed bulletin: no navigation in print")
    check("(A4)" in info, f"printed bulletin: A4 pages {info}")
    if args.screenshots:
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", printed, os.path.join(args.screenshots, "bulletin-print")])
        for produced in os.listdir(args.screenshots):
            if produced.startswith("bulletin-print-"):
                os.replace(os.path.join(args.screenshots, produced), os.path.join(args.screenshots, "bulletin-print.png"))
    status, headers, body = lan(port, "GET", "/bulletins/tangdan/2018-10.pdf")
    check(status == 200 and headers.get("content-type") == "application/pdf" and body.startswith(b"%PDF"), "dutyd's PDF")
    own = os.path.join(work, "bulletin.pdf")
    open(own, "wb").write(body)
    own_text = "".join(subprocess.check_output(["pdftotext", "-enc", "UTF-8", own, "-"], text=True).split())
    check("汤丹镇2018-10脱贫攻坚工作通报" in own_text and "问题整改台账" in own_text, "dutyd's PDF: the text reads back")

    log.flush()


if __name__ == "__main__":
    main()
