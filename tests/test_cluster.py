"""`bash dev.sh cluster 2`: two replicas behind nginx, sticky by cookie, checked and restarted,
stopped cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from serving import ROOT, free_port

sys.path.insert(0, str(ROOT / "benchmarks"))
from load import run_load

from server.cluster import COOKIE, healthy, nginx_conf

pytestmark = pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(),
                                reason="nginx is not installed here (bash dev.sh test installs Debian's package)")


def get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """(the replica that answered, the route cookie nginx set)."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
        routed = re.search(f"{COOKIE}=([^;]+)", reply.headers.get("Set-Cookie", ""))
        return reply.headers["X-Optviz-Replica"], routed and routed.group(1)


def refused(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    except urllib.error.URLError as err:
        return isinstance(err.reason, ConnectionRefusedError)
    except OSError as err:
        return isinstance(err, ConnectionRefusedError)
    return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    run = tmp_path_factory.mktemp("cluster")
    port, first = free_port(), free_port()
    while first in (port, port - 1) or not refused(first + 1):  # replicas take first and first + 1
        first = free_port()
    with open(run / "cluster.log", "w") as log:
        proc = subprocess.Popen(["bash", "dev.sh", "cluster", "2", "--port", str(port), "--first-replica-port",
                                 str(first), "--run-dir", str(run)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    deadline = time.monotonic() + 400
    while "ready:" not in (run / "cluster.log").read_text():
        assert proc.poll() is None and time.monotonic() < deadline, (run / "cluster.log").read_text()
        time.sleep(0.5)
    yield {"url": f"http://127.0.0.1:{port}", "port": port, "replicas": (first, first + 1), "run": run, "proc": proc}
    if proc.poll() is None:  # a test failed before the one that stops it
        proc.terminate()
        proc.wait(60)


def test_the_nginx_configuration_passes_websockets_and_routes_by_cookie(tmp_path):
    conf = nginx_conf([8601, 8602], 8080, tmp_path)
    assert "server 127.0.0.1:8601" in conf and "server 127.0.0.1:8602" in conf
    assert "proxy_set_header Upgrade $http_upgrade" in conf and "hash $optviz_route consistent" in conf
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(conf)
    check = subprocess.run(["/usr/sbin/nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                           text=True, capture_output=True)
    assert check.returncode == 0, check.stderr


def test_one_browser_keeps_one_replica_and_browsers_spread_over_both(cluster):
    url = cluster["url"] + "/"
    first, route = get(url)
    assert route  # a new browser is given its route
    assert {get(url, route)[0] for _ in range(8)} == {first}
    served = {get(url)[0] for _ in range(24)}  # 24 new browsers: both replicas (chance of one: 2 * 2**-24)
    assert served == {f"127.0.0.1:{p}" for p in cluster["replicas"]}


def test_sessions_run_through_nginx_each_on_one_replica(cluster):
    tally = run_load(cluster["url"], sessions=4, seconds=5, interval=1.0)
    assert tally.errors == [] and len(tally.reruns) >= 8
    upstreams: dict[str, set[str]] = {}  # every request of a route, websocket included, to one replica
    for line in (cluster["run"] / "nginx-access.log").read_text().splitlines():
        found = re.search(r"\" \d+ (\S+) route=(\S+)", line)
        if found and "/_stcore/stream" in line:
            upstreams.setdefault(found.group(2), set()).add(found.group(1))
    routes = {r for r in upstreams}
    assert len(routes) >= 4 and all(len(upstreams[r]) == 1 for r in routes)


def replica_pid(port: int) -> int:
    found = subprocess.run(["pgrep", "-f", "--", f"serve.py --server.port {port} "], capture_output=True, text=True)
    return int(found.stdout.split()[0])


def test_a_browser_whose_replica_dies_goes_on_with_its_race_on_the_other(cluster):
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS, RACE_READY

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        first = page.goto(cluster["url"] + "/?surface=rosenbrock&steps=150").headers["x-optviz-replica"]
        page.wait_for_function(RACE_READY, timeout=120_000)
        os.kill(replica_pid(int(first.rsplit(":", 1)[1])), signal.SIGKILL)
        page.wait_for_timeout(3000)  # the page reconnects, through nginx, to the other replica
        # Its first message there finds no session: a new one reads the race from the link.
        page.locator("button", has_text="RMSProp").first.click()
        page.wait_for_timeout(3000)
        page.locator("button", has_text="Adam").first.click()  # and the next acts as usual
        page.wait_for_function("() => location.search.includes('focus=adam')", timeout=60_000)
        assert "steps=150" in page.url and "surface=rosenbrock" in page.url
        assert "Rosenbrock: 7 optimizers, 150 steps" in page.inner_text("body")
        browser.close()


def test_a_replica_that_dies_is_restarted_while_the_other_serves(cluster):
    deadline = time.monotonic() + 180
    while not all(healthy(p) for p in cluster["replicas"]):  # the test before may have killed one
        assert time.monotonic() < deadline, (cluster["run"] / "cluster.log").read_text()
        time.sleep(0.5)
    restarts = (cluster["run"] / "cluster.log").read_text().count("is down; restarting")
    port = cluster["replicas"][0]
    os.kill(replica_pid(port), signal.SIGKILL)
    answers = []
    while (cluster["run"] / "cluster.log").read_text().count("is down; restarting") == restarts or not healthy(port):
        answers.append(get(cluster["url"] + "/")[0])  # new browsers are served meanwhile, by the other
        assert time.monotonic() < deadline, (cluster["run"] / "cluster.log").read_text()
        time.sleep(0.5)
    assert f"127.0.0.1:{cluster['replicas'][1]}" in answers
    deadline = time.monotonic() + 120
    while {get(cluster["url"] + "/")[0] for _ in range(24)} != {f"127.0.0.1:{p}" for p in cluster["replicas"]}:
        assert time.monotonic() < deadline, "the restarted replica is given no browsers"
        time.sleep(1)


def test_nothing_outlives_a_killed_cluster(tmp_path):
    port, first = free_port(), free_port()
    while first in (port, port - 1) or not refused(first + 1):
        first = free_port()
    with open(tmp_path / "cluster.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "server.cluster", "1", "--port", str(port), "--first-replica-port",
                                 str(first), "--run-dir", str(tmp_path)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 300
    while "ready:" not in (tmp_path / "cluster.log").read_text():
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "cluster.log").read_text()
        time.sleep(0.5)
    proc.kill()  # no chance to stop anything itself
    proc.wait()
    deadline = time.monotonic() + 30
    while not (refused(port) and refused(first)):
        assert time.monotonic() < deadline, "nginx or the replica outlived the cluster"
        time.sleep(0.5)


def test_the_cluster_stops_cleanly(cluster):
    os.kill(cluster["proc"].pid, signal.SIGTERM)
    assert cluster["proc"].wait(60) == 0
    assert all(refused(p) for p in (cluster["port"], *cluster["replicas"]))
    assert "[cluster] stopped" in (cluster["run"] / "cluster.log").read_text()
