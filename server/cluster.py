"""Several app processes behind nginx: ``bash dev.sh cluster N [--port P]``.

Streamlit keeps each session's state in the memory of the process its websocket reached, so
nginx must send every request of one browser to one replica (sticky sessions). A cookie does
it: nginx gives a browser a random route on its first request and hashes it to a replica from
then on. (ip_hash would put a whole classroom behind one school NAT on one replica.)

Each replica's ``/_stcore/health`` is checked at start and every few seconds; a replica that
stops answering is restarted, and meanwhile nginx routes its browsers elsewhere (they reload
their race from the link). Ctrl-C or SIGTERM stops nginx and every replica.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COOKIE = "optviz_replica"
HEALTH = "/_stcore/health"
CHECK_EVERY = 2.0  # seconds between health checks
FAILED_CHECKS = 3  # a replica failing this many checks in a row is restarted
START_GRACE = 120.0  # seconds a (re)started replica has to answer before its checks count

NGINX_CONF = """\
# Written by server/cluster.py for {replicas} optviz replica(s); see README, "Serving many users".
worker_processes auto;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
daemon off;
{user}
events {{ worker_connections 4096; }}

http {{
    log_format optviz '$remote_addr [$time_local] "$request" $status $upstream_addr route=$optviz_route';
    access_log {run}/nginx-access.log optviz;
    client_body_temp_path {run}/tmp/body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    client_max_body_size 200m;  # Streamlit's own upload limit

    # The websocket (/_stcore/stream) needs the upgrade passed on.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    # Sticky sessions: a browser's route is its cookie, or a new random one on its first request.
    map $cookie_{cookie} $optviz_route {{
        ''      $request_id;
        default $cookie_{cookie};
    }}

    upstream optviz {{
        hash $optviz_route consistent;
{servers}
    }}

    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://optviz;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1d;  # an idle session's websocket stays open
            proxy_send_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "{cookie}=$optviz_route; Path=/; HttpOnly; SameSite=Lax" always;
            add_header X-Optviz-Replica $upstream_addr always;
        }}
    }}
}}
"""


def nginx_conf(replica_ports: list[int], port: int, run: Path, host: str = "127.0.0.1",
               replica_host: str = "127.0.0.1") -> str:
    """nginx's configuration for replicas at replica_host:replica_ports, served on host:port."""
    servers = "\n".join(f"        server {replica_host}:{p} max_fails=1 fail_timeout=5s;" for p in replica_ports)
    user = "user www-data www-data;  # nginx started as root: its workers drop to this user" if os.geteuid() == 0 else ""
    return NGINX_CONF.format(replicas=len(replica_ports), run=run, user=user, cookie=COOKIE,
                             servers=servers, host=host, port=port)


def _end_with_parent() -> None:
    """In a child before it runs: the kernel sends it SIGTERM when the cluster process ends,
    however it ends (a SIGKILL included), so no replica or nginx outlives it."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def healthy(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=timeout) as reply:
            return reply.status == 200 and reply.read().strip() == b"ok"
    except OSError:
        return False


class Replica:
    """One ``streamlit run serve.py`` on a loopback port, logging to the run folder."""

    def __init__(self, port: int, run: Path, secret: str) -> None:
        self.port, self.run, self.secret = port, run, secret
        self.process: subprocess.Popen | None = None
        self.failed = 0

    def start(self) -> None:
        with open(self.run / f"replica-{self.port}.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                # one secret for all, so a cookie signed by one replica is good at another after a failover
                env={**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": self.secret},
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_end_with_parent)
        self.failed = 0
        self.started = time.monotonic()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process, signal.SIGTERM)


def stop_group(process: subprocess.Popen, sig: int, wait: float = 10.0) -> None:
    """Signal a process's group, then kill it if it has not ended within ``wait`` seconds."""
    try:
        os.killpg(process.pid, sig)
        process.wait(wait)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def say(text: str) -> None:
    print(f"[cluster] {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bash dev.sh cluster", description=__doc__.split("\n")[0])
    parser.add_argument("replicas", type=int, help="how many app processes (1 to 16)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's loopback port (default 8080)")
    parser.add_argument("--first-replica-port", type=int, default=8601,
                        help="replica k listens on this port + k (default 8601)")
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".cluster",
                        help="nginx's configuration, pid and logs, and each replica's log")
    args = parser.parse_args(argv)
    if not 1 <= args.replicas <= 16:
        parser.error("replicas: 1 to 16")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        parser.error("nginx is not installed (bash dev.sh cluster installs Debian's package)")

    run = args.run_dir.resolve()
    (run / "tmp").mkdir(parents=True, exist_ok=True)
    os.chmod(run / "tmp", 0o1777)  # nginx's workers may run as another user
    ports = [args.first_replica_port + k for k in range(args.replicas)]
    secret = secrets.token_hex(32)
    replicas = [Replica(p, run, secret) for p in ports]
    proxy: subprocess.Popen | None = None

    def stop(*_) -> None:
        say("stopping")
        if proxy is not None and proxy.poll() is None:
            stop_group(proxy, signal.SIGQUIT)  # nginx's graceful stop
        for replica in replicas:
            replica.stop()
        say("stopped")
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for replica in replicas:
            replica.start()
        deadline = time.monotonic() + 300  # a fresh install compiles the kernels first
        for replica in replicas:
            while not healthy(replica.port):
                if replica.process.poll() is not None or time.monotonic() > deadline:
                    say(f"replica on port {replica.port} did not start; see {run}/replica-{replica.port}.log")
                    stop()
                time.sleep(0.3)
        conf = run / "nginx.conf"
        conf.write_text(nginx_conf(ports, args.port, run))
        check = subprocess.run([nginx, "-t", "-q", "-p", str(run), "-c", str(conf)], capture_output=True, text=True)
        if check.returncode != 0:
            say(f"nginx refused its configuration: {check.stderr.strip()}")
            stop()
        proxy = subprocess.Popen([nginx, "-p", str(run), "-c", str(conf)], start_new_session=True,
                                 preexec_fn=_end_with_parent)
        while not healthy(args.port):
            if proxy.poll() is not None:
                say(f"nginx did not start; see {run}/nginx-error.log")
                stop()
            time.sleep(0.2)
        say(f"ready: http://127.0.0.1:{args.port} -> {len(ports)} replicas on ports "
            f"{', '.join(map(str, ports))}; Ctrl-C stops them all")
        while True:
            time.sleep(CHECK_EVERY)
            if proxy.poll() is not None:
                say("nginx stopped")
                stop()
            for replica in replicas:
                alive = replica.process.poll() is None
                if alive and healthy(replica.port):
                    replica.failed = 0
                elif alive and time.monotonic() - replica.started < START_GRACE:
                    continue
                else:
                    replica.failed += 1
                if replica.failed >= FAILED_CHECKS or not alive:
                    say(f"replica on port {replica.port} is down; restarting it")
                    replica.stop()
                    replica.start()
    finally:
        if proxy is not None and proxy.poll() is None:
            stop_group(proxy, signal.SIGQUIT)
        for replica in replicas:
            replica.stop()


if __name__ == "__main__":
    sys.exit(main())
