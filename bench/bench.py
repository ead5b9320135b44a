#!/usr/bin/env python3
"""taskgate load benchmark (run it through `bench/run`, which builds first).

Starts target/release/taskgate on a fresh SQLite file in a temporary folder,
signs up one user with 20 tasks over HTTP, then drives each scenario with wrk
and reads the server's CPU time and memory from /proc. Writes
bench/results/latest.json and bench/results/latest.md.

Four servers run side by side on loopback: taskgate as configured for the
scenarios, a second taskgate process with METRICS_ADDR set, a third with the
database-backed login limits on, and the ceiling: a bare actix-web 4 server
(`bench/bare.rs`, same crate, features, profile and worker count) answering
`GET /healthz` with the same small JSON body. The light scenarios run in
BENCH_ROUNDS interleaved rounds (every scenario once per round, in the same
order), so the VM's drift from minute to minute hits all of them alike; each
figure is the median over rounds, with the range, and each ratio to the bare
server is taken within its round, then the median.

Server CPU per request = (utime + stime of the server process after the
scenario - before) / requests completed. It counts only the server, not wrk,
so it is the figure to compare on a shared machine.
"""

import datetime
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
BIN = os.environ.get("BENCH_BIN") or os.path.join(ROOT, "target", "release", "taskgate")
BARE_BIN = os.environ.get("BENCH_BARE_BIN") or os.path.join(ROOT, "target", "release", "examples", "bare")
RESULTS = os.path.join(BENCH, "results")

DURATION = int(os.environ.get("BENCH_DURATION", "6"))  # seconds per scenario
WARMUP = int(os.environ.get("BENCH_WARMUP", "1"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
LOGIN_CONNECTIONS = int(os.environ.get("BENCH_LOGIN_CONNECTIONS", "4"))
BURST_LOGINS = 32
BURST_TASK_CONNECTIONS = 4
STARTS = int(os.environ.get("BENCH_STARTS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# BENCH_MICRO=0 skips the two `cargo bench` runs (to measure another binary
# without building the current tree's benchmarks).
MICRO = os.environ.get("BENCH_MICRO", "1") != "0"
# BENCH_ONLY=bare,healthz,me,...: only these scenarios (bare and healthz always),
# printed to the terminal; for quick comparisons while working.
ONLY = {k for k in os.environ.get("BENCH_ONLY", "").split(",") if k}
# AUTH_RATE_LIMIT_PER_MIN of the limits server: high enough never to refuse
# the benchmark, so every attempt pays the database work and nothing else.
LIMITS_ON = "1000000000"
TASKS = 20

EMAIL = "bench@example.com"
WRITER = "writer@example.com"  # POST /api/tasks writes as another user, so the reader keeps 20 tasks
PASSWORD = "a benchmark passphrase 42"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Targets from issues 5, 11, 12, 15 and 16 (also printed in the report).
TARGETS = {
    "healthz_vs_bare": 2.5,  # issue 16
    "me_vs_bare": 4.0,  # issue 16
    "tasks_list_page_cpu_us": 70,  # issue 16: a page of 20 tasks
    "healthz_metrics_vs_healthz": 1.2,  # issue 15
    "guard_p99_us": 50,
    "me_cpu_vs_healthz": 3.0,  # issues 5 and 11 (with EdDSA)
    "tasks_list_cpu_us": 100,
    "list_pat_cpu_vs_access": 1.5,  # issue 12: the same list through a personal access token
    "tasks_create_cpu_us": 300,
    "login_cpu_vs_hash": 1.15,
    "burst_peak_rss_mb": 100,
    "burst_tasks_p99_ms": 20,
    "idle_rss_mb": 20,
    "startup_ms": 200,
}


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_healthz(port, timeout=0.5):
    """One GET /healthz over a fresh socket; True on a 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            head = s.recv(64)
            return head.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class Server:
    """A running release binary on the benchmark database."""

    def __init__(self, workdir, db, secret, extra_env=None, argv=None, name="server"):
        self.workdir = workdir
        self.db = db
        self.secret = secret
        self.port = free_port()
        self.proc = None
        self.startup_ms = None
        self.extra_env = extra_env or {}
        self.argv = argv or [BIN, "serve"]
        self.name = name

    def env(self):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": self.db,
            "JWT_SECRET": self.secret,
            "BIND_ADDR": f"127.0.0.1:{self.port}",
            "COOKIE_SECURE": "false",
            "AUTH_RATE_LIMIT_PER_MIN": "0",
            "RUST_LOG": "warn",
        }
        env.update(self.extra_env)
        return env

    def start(self, timeout=30):
        logf = open(os.path.join(self.workdir, f"{self.name}.log"), "ab")
        t0 = time.monotonic()
        # cwd = the temp folder, so no stray .env is read.
        self.proc = subprocess.Popen(
            self.argv, env=self.env(), cwd=self.workdir,
            stdout=logf, stderr=logf,
        )
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if raw_healthz(self.port):
                self.startup_ms = (time.monotonic() - t0) * 1000
                return self
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited early; see {self.workdir}/{self.name}.log")
            time.sleep(0.001)
        raise SystemExit(f"{self.name} did not answer /healthz within {timeout} s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cpu_secs(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            data = f.read()
        fields = data[data.rfind(")") + 2:].split()
        # fields[11] = utime, fields[12] = stime (clock ticks), for all threads incl. exited ones
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def status_kb(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def threads(self):
        return self.status_kb("Threads")

    def reset_peak(self):
        """Resets VmHWM to the current RSS (Linux >= 4.0); False if not permitted."""
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    # -- plain HTTP for setup ------------------------------------------------
    def request(self, method, path, body=None, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        raw = res.read()
        conn.close()
        data = json.loads(raw) if raw else None
        return res.status, data


def wrk(port, script, path, connections, duration, threads=THREADS, env=None, background=False):
    cmd = [
        "wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s",
        "--timeout", "10s", "-s", os.path.join(BENCH, script),
        f"http://127.0.0.1:{port}{path}",
    ]
    full_env = dict(os.environ, TG_BENCH_DIR=BENCH, **(env or {}))
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if background:
        return proc
    return wrk_result(proc)


def wrk_result(proc):
    out, err = proc.communicate()
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    raise SystemExit(f"wrk gave no result:\n{out}\n{err}")


def summarize(name, res, cpu, peak_kb, expect_status):
    secs = res["duration_us"] / 1e6
    n = res["requests"]
    errors = res["errors_connect"] + res["errors_read"] + res["errors_write"] + res["errors_timeout"]
    bad_status = res["errors_status"]
    if expect_status >= 400:
        # Every answer should be the expected error; wrk counts those as status errors.
        bad_status = n - res["errors_status"]
    return {
        "scenario": name,
        "requests": n,
        "seconds": round(secs, 3),
        "rps": round(n / secs, 1) if secs else 0,
        "p50_ms": round(res["lat_p50_us"] / 1000, 3),
        "p90_ms": round(res["lat_p90_us"] / 1000, 3),
        "p99_ms": round(res["lat_p99_us"] / 1000, 3),
        "max_ms": round(res["lat_max_us"] / 1000, 3),
        "cpu_us_per_req": round(cpu * 1e6 / n, 1) if n else None,
        "server_cpu_s": round(cpu, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None,
        "socket_errors": errors,
        "unexpected_status": bad_status,
        "expected_status": expect_status,
    }


def run_scenario(server, name, script, path, env, connections, expect_status):
    log(f"{name}: warm-up {WARMUP}s, then {DURATION}s with {connections} connections")
    if WARMUP:
        wrk(server.port, script, path, connections, WARMUP, env=env)
    server.reset_peak()
    c0 = server.cpu_secs()
    res = wrk(server.port, script, path, connections, DURATION, env=env)
    c1 = server.cpu_secs()
    row = summarize(name, res, c1 - c0, server.status_kb("VmHWM"), expect_status)
    row["threads_after"] = server.threads()
    log(f"  {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
        f"{row['cpu_us_per_req']} us CPU/req, peak {row['peak_rss_mb']} MB")
    return row


def argon2_reference():
    """CPU per Argon2id hash at the contract's parameters, same crate, same build profile."""
    log("argon2 reference: cargo bench --bench argon2_ref")
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "argon2_ref"],
        cwd=ROOT, capture_output=True, text=True,
    )
    for line in out.stdout.splitlines():
        if line.startswith("ARGON2JSON "):
            return json.loads(line[len("ARGON2JSON "):])
    raise SystemExit(f"argon2 reference failed:\n{out.stdout}\n{out.stderr}")


def guard_micro():
    """Single-call latency of the guard (benches/guard.rs, without its criterion part)."""
    log("guard micro-benchmark: cargo bench --bench guard (samples only)")
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "guard"],
        cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, GUARD_SAMPLES_ONLY="1"),
    )
    for line in out.stdout.splitlines():
        if line.startswith("GUARDJSON "):
            return json.loads(line[len("GUARDJSON "):])
    raise SystemExit(f"guard micro-benchmark failed:\n{out.stdout}\n{out.stderr}")


# Scenario `list_pat` (issue 12): the task list of the access-token scenario,
# through a personal access token of the same user (scope tasks:read).
LIST_PAT = "GET /api/tasks (20) via PAT (list_pat)"
# Scenario `list_fresh` (issue 16): the same page on a server that remembers no
# pages, so every request reads the rows, as the first page after a write does.
LIST_FRESH = "GET /api/tasks (20), read from the rows: REMEMBER_TASK_PAGES=false (list_fresh)"


def create_pat(server, access_token):
    """A tasks:read personal access token for the access token's user."""
    status, body = server.request("POST", "/api/auth/tokens",
                                  {"name": "bench", "scopes": ["tasks:read"]}, access_token)
    assert status == 201 and body["token"].startswith("tgp_"), (status, body)
    return body["token"]


def tamper(token):
    head, payload, sig = token.split(".")
    i = len(sig) // 2
    sig = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
    return ".".join([head, payload, sig])


def verdict(ok):
    return "met" if ok else "MISSED"


def median(xs):
    return statistics.median(xs) if xs else None


def aggregate(key, label, runs, bare_runs, health_runs):
    """One row from a scenario's per-round rows: medians, the CPU range, and
    ratios to the bare server and to /healthz taken within each round."""
    cpu = [r["cpu_us_per_req"] for r in runs]
    row = {
        "key": key,
        "scenario": label,
        "rounds": len(runs),
        "rps": round(median([r["rps"] for r in runs]), 1),
        "p50_ms": round(median([r["p50_ms"] for r in runs]), 3),
        "p99_ms": round(median([r["p99_ms"] for r in runs]), 3),
        "cpu_us_per_req": round(median(cpu), 1),
        "cpu_us_min": min(cpu),
        "cpu_us_max": max(cpu),
        "peak_rss_mb": max((r["peak_rss_mb"] or 0) for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "unexpected_status": sum(r["unexpected_status"] for r in runs),
        "per_round": runs,
    }
    if bare_runs:
        row["vs_bare"] = round(median([r["cpu_us_per_req"] / b["cpu_us_per_req"]
                                       for r, b in zip(runs, bare_runs)]), 2)
    if health_runs:
        row["vs_healthz"] = round(median([r["cpu_us_per_req"] / h["cpu_us_per_req"]
                                          for r, h in zip(runs, health_runs)]), 2)
    return row


def main():
    for path in (BIN, BARE_BIN):
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: run bench/run (it builds first)")
    os.makedirs(RESULTS, exist_ok=True)
    started = time.time()
    load_before = os.getloadavg()
    workdir = tempfile.mkdtemp(prefix="taskgate-bench-")
    db = os.path.join(workdir, "bench.db")
    secret = secrets.token_urlsafe(48)
    log(f"workdir {workdir}")

    # 1. Fresh database: migrate, sign up, 20 tasks.
    setup = Server(workdir, db, secret).start()
    fresh_startup_ms = setup.startup_ms
    status, body = setup.request("POST", "/api/auth/signup",
                                 {"email": EMAIL, "password": PASSWORD, "name": "Bench"})
    assert status == 201, (status, body)
    for i in range(TASKS):
        status, _ = setup.request("POST", "/api/tasks", {"title": f"task {i + 1}"}, body["access_token"])
        assert status == 201, status
    status, _ = setup.request("POST", "/api/auth/signup", {"email": WRITER, "password": PASSWORD})
    assert status == 201, status
    setup.stop()

    # 2. Start-up on the existing database, and idle RSS.
    starts, idle = [], []
    for _ in range(STARTS):
        s = Server(workdir, db, secret).start()
        starts.append(s.startup_ms)
        time.sleep(0.5)
        idle.append(s.status_kb("VmRSS"))
        s.stop()
    log(f"start-up ms {[round(x, 1) for x in starts]}, idle RSS kB {idle}")

    # 3. The servers for the scenarios, all on the same database: taskgate as
    # configured above, one with METRICS_ADDR, one with the login limits on;
    # and the bare actix-web ceiling.
    server = Server(workdir, db, secret).start()
    metered = Server(workdir, db, secret, name="metrics",
                     extra_env={"METRICS_ADDR": f"127.0.0.1:{free_port()}"}).start()
    limited = Server(workdir, db, secret, name="limits",
                     extra_env={"AUTH_RATE_LIMIT_PER_MIN": LIMITS_ON}).start()
    fresh = Server(workdir, db, secret, name="fresh",
                   extra_env={"REMEMBER_TASK_PAGES": "false"}).start()
    bare = Server(workdir, db, secret, name="bare", argv=[BARE_BIN]).start()
    servers = [server, metered, limited, fresh, bare]

    status, body = server.request("POST", "/api/auth/login", {"email": EMAIL, "password": PASSWORD})
    assert status == 200, (status, body)
    token = body["access_token"]
    bad = tamper(token)
    assert server.request("GET", "/api/auth/me", token=token)[0] == 200
    assert server.request("GET", "/api/auth/me", token=bad)[0] == 401
    status, listed = server.request("GET", "/api/tasks", token=token)
    assert status == 200 and len(listed["tasks"]) == TASKS, (status, listed)
    pat = create_pat(server, token)
    status, listed = server.request("GET", "/api/tasks", token=pat)
    assert status == 200 and len(listed["tasks"]) == TASKS, (status, listed)
    assert bare.request("GET", "/healthz") == (200, {"status": "ok"})
    assert metered.request("GET", "/healthz")[0] == 200
    idle_after_start_kb = server.status_kb("VmRSS")

    status, body = server.request("POST", "/api/auth/login", {"email": WRITER, "password": PASSWORD})
    assert status == 200, (status, body)
    writer = {"TG_TOKEN": body["access_token"]}
    auth = {"TG_TOKEN": token}
    login = {"TG_EMAIL": EMAIL, "TG_PASSWORD": PASSWORD}
    # Refused before any hash (no account can have this address), after the
    # per-IP limit has counted it: isolates the limit's database write.
    cheap_login = {"TG_EMAIL": "x" * 300 + "@example.com", "TG_PASSWORD": PASSWORD}
    # key, label, server, script, path, env, connections, expected status
    scenarios = [
        ("bare", "bare actix-web 4: GET /healthz (the ceiling)", bare, "get.lua", "/healthz", {}, CONNECTIONS, 200),
        ("healthz", "GET /healthz", server, "get.lua", "/healthz", {}, CONNECTIONS, 200),
        ("healthz_metrics", "GET /healthz, METRICS_ADDR set", metered, "get.lua", "/healthz", {}, CONNECTIONS, 200),
        ("me", "GET /api/auth/me (Bearer, EdDSA)", server, "get.lua", "/api/auth/me", auth, CONNECTIONS, 200),
        ("list", "GET /api/tasks (20)", server, "get.lua", "/api/tasks", auth, CONNECTIONS, 200),
        # Every page read from the rows, as after any write (no remembered pages).
        ("list_fresh", LIST_FRESH, fresh, "get.lua", "/api/tasks", auth, CONNECTIONS, 200),
        ("list_pat", LIST_PAT, server, "get.lua", "/api/tasks", {"TG_TOKEN": pat}, CONNECTIONS, 200),
        ("me_tampered", "GET /api/auth/me, tampered token (401)", server, "get.lua", "/api/auth/me",
         {"TG_TOKEN": bad}, CONNECTIONS, 401),
        ("create", "POST /api/tasks", server, "post_task.lua", "/api/tasks", writer, CONNECTIONS, 201),
        ("login_refused", "POST /api/auth/login refused before hashing (401), limits off", server,
         "login.lua", "/api/auth/login", cheap_login, CONNECTIONS, 401),
        ("login_refused_limits", "POST /api/auth/login refused before hashing (401), limits on", limited,
         "login.lua", "/api/auth/login", cheap_login, CONNECTIONS, 401),
        ("login1", "POST /api/auth/login, one at a time, limits off", server,
         "login.lua", "/api/auth/login", login, 1, 200),
        ("login1_limits", "POST /api/auth/login, one at a time, limits on", limited,
         "login.lua", "/api/auth/login", login, 1, 200),
    ]
    if ONLY:
        # A quick look at some scenarios (BENCH_ONLY=bare,healthz,me): rounds
        # as usual, printed, and nothing else measured or written.
        scenarios = [s for s in scenarios if s[0] in ONLY or s[0] in ("bare", "healthz")]
    runs = {key: [] for key, *_ in scenarios}
    for n in range(ROUNDS):
        log(f"round {n + 1} of {ROUNDS}")
        for key, label, srv, script, path, env, conns, expect in scenarios:
            runs[key].append(run_scenario(srv, label, script, path, env, conns, expect))
    if ONLY:
        for key, label, *_ in scenarios:
            row = aggregate(key, label, runs[key], runs["bare"], runs["healthz"])
            print(f"{label}: {row['cpu_us_per_req']} µs/req ({row['cpu_us_min']}–{row['cpu_us_max']}), "
                  f"{row['vs_bare']}× bare, {row['vs_healthz']}× /healthz, p99 {row['p99_ms']} ms")
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        return
    login_n = run_scenario(server, f"POST /api/auth/login, {LOGIN_CONNECTIONS} at a time", "login.lua",
                           "/api/auth/login", login, LOGIN_CONNECTIONS, 200)
    for s in (metered, limited, fresh, bare):
        s.stop()

    # 4. Burst: 32 concurrent logins while GET /api/tasks (20 tasks) runs.
    log(f"burst: {BURST_LOGINS} concurrent logins for {DURATION}s while GET /api/tasks runs")
    time.sleep(1)
    server.reset_peak()
    c0 = server.cpu_secs()
    logins = wrk(server.port, "login.lua", "/api/auth/login", BURST_LOGINS, DURATION + 1,
                 env=login, background=True)
    time.sleep(0.5)
    tasks = wrk_result(wrk(server.port, "get.lua", "/api/tasks", BURST_TASK_CONNECTIONS,
                           DURATION, threads=1, env=auth, background=True))
    logins = wrk_result(logins)
    c1 = server.cpu_secs()
    burst_peak_kb = server.status_kb("VmHWM")
    burst = {
        "logins": summarize("burst: POST /api/auth/login x32", logins, 0, burst_peak_kb, 200),
        "tasks": summarize("burst: GET /api/tasks (20)", tasks, 0, burst_peak_kb, 200),
        "server_cpu_s": round(c1 - c0, 3),
        "peak_rss_mb": round(burst_peak_kb / 1024, 1),
        "threads_after": server.threads(),
    }
    log(f"  tasks p99 {burst['tasks']['p99_ms']} ms, logins {burst['logins']['rps']}/s, "
        f"peak RSS {burst['peak_rss_mb']} MB")
    lifetime_peak_mb = round(server.status_kb("VmHWM") / 1024, 1)
    server.stop()

    if MICRO:
        ref, guard = argon2_reference(), guard_micro()
    else:
        ref = {"hashes": 0, "cpu_ms_per_hash": float("nan"), "parallel_threads": 0,
               "parallel_cpu_ms_per_hash": float("nan")}
        guard = {"check_access_warm": {"p50_us": float("nan"), "p99_us": float("nan")}}
    log(f"argon2 reference: {ref['cpu_ms_per_hash']} ms CPU per hash alone, "
        f"{ref['parallel_cpu_ms_per_hash']} ms with {ref['parallel_threads']} at once")

    rows = [aggregate(key, label, runs[key], runs["bare"], runs["healthz"])
            for key, label, *_ in scenarios]
    login_n["key"] = "login_n"
    by = {r["key"]: r for r in rows}
    bare_us = by["bare"]["cpu_us_per_req"]
    health = by["healthz"]["cpu_us_per_req"]
    listing = by["list"]["cpu_us_per_req"]
    listing_fresh = by["list_fresh"]["cpu_us_per_req"]
    listing_pat = by["list_pat"]["cpu_us_per_req"]
    create = by["create"]["cpu_us_per_req"]
    login1 = by["login1"]["cpu_us_per_req"]
    login_n_us = login_n["cpu_us_per_req"]
    hash_us = ref["cpu_ms_per_hash"] * 1000
    hash_par_us = ref["parallel_cpu_ms_per_hash"] * 1000
    startup_ms = statistics.median(starts)
    idle_mb = statistics.median(idle) / 1024
    limits_write_us = round(by["login_refused_limits"]["cpu_us_per_req"] - by["login_refused"]["cpu_us_per_req"], 1)
    limits_login_us = round(median([a["cpu_us_per_req"] - b["cpu_us_per_req"]
                                    for a, b in zip(runs["login1_limits"], runs["login1"])]), 1)
    metrics_ratio = median([m["cpu_us_per_req"] / h["cpu_us_per_req"]
                            for m, h in zip(runs["healthz_metrics"], runs["healthz"])])
    pat_ratio = median([p["cpu_us_per_req"] / a["cpu_us_per_req"]
                        for p, a in zip(runs["list_pat"], runs["list"])])
    g = guard
    checks = [
        ("`/healthz` CPU ≤ 2.5× the bare actix-web handler (issue 16)",
         f"{health:.1f} µs vs {bare_us:.1f} µs ({by['healthz']['vs_bare']:.2f}×)",
         by["healthz"]["vs_bare"] <= TARGETS["healthz_vs_bare"]),
        ("`GET /api/auth/me` (EdDSA) CPU ≤ 4× the bare handler (issue 16)",
         f"{by['me']['cpu_us_per_req']:.1f} µs ({by['me']['vs_bare']:.2f}×)",
         by["me"]["vs_bare"] <= TARGETS["me_vs_bare"]),
        ("`GET /api/auth/me` (EdDSA) CPU ≤ 3× `/healthz` (issues 5, 11)", f"{by['me']['vs_healthz']:.2f}×",
         by["me"]["vs_healthz"] <= TARGETS["me_cpu_vs_healthz"]),
        ("`GET /api/tasks` (a page of 20, read from the rows) CPU ≤ 70 µs (issue 16)", f"{listing_fresh:.1f} µs",
         listing_fresh <= TARGETS["tasks_list_page_cpu_us"]),
        ("`GET /api/tasks` (a page of 20, remembered) CPU ≤ 70 µs (issue 16)", f"{listing:.1f} µs",
         listing <= TARGETS["tasks_list_page_cpu_us"]),
        ("`GET /api/tasks` (20) through a PAT ≤ 1.5× through an access token (issue 12)",
         f"{listing_pat:.1f} µs vs {listing:.1f} µs ({pat_ratio:.2f}×)",
         pat_ratio <= TARGETS["list_pat_cpu_vs_access"]),
        ("`/healthz` CPU with METRICS_ADDR set ≤ 1.2× without (issue 15)",
         f"{by['healthz_metrics']['cpu_us_per_req']:.1f} µs vs {health:.1f} µs ({metrics_ratio:.2f}×)",
         metrics_ratio <= TARGETS["healthz_metrics_vs_healthz"]),
        ("guard (EdDSA verify + session check, warm) p99 < 50 µs", f"{g['check_access_warm']['p99_us']:.1f} µs",
         g["check_access_warm"]["p99_us"] < TARGETS["guard_p99_us"]),
        ("POST /api/tasks CPU ≤ 300 µs (synchronous=FULL)", f"{create:.0f} µs", create <= TARGETS["tasks_create_cpu_us"]),
        ("login CPU within 15 % of one Argon2id hash: logins one at a time vs one hash alone",
         f"{login1 / 1000:.2f} ms vs {hash_us / 1000:.2f} ms ({login1 / hash_us:.2f}×)",
         login1 <= hash_us * TARGETS["login_cpu_vs_hash"]),
        (f"login CPU within 15 % of one Argon2id hash: {LOGIN_CONNECTIONS} logins at a time vs one hash "
         f"while {ref['parallel_threads']} hash at once (the server's bound)",
         f"{login_n_us / 1000:.2f} ms vs {hash_par_us / 1000:.2f} ms ({login_n_us / hash_par_us:.2f}×; "
         f"{login_n_us / hash_us:.2f}× the lone hash)",
         login_n_us <= hash_par_us * TARGETS["login_cpu_vs_hash"]),
        ("burst of 32 logins: peak RSS < 100 MB", f"{burst['peak_rss_mb']} MB", burst["peak_rss_mb"] < TARGETS["burst_peak_rss_mb"]),
        ("burst of 32 logins: GET /api/tasks p99 < 20 ms", f"{burst['tasks']['p99_ms']} ms", burst["tasks"]["p99_ms"] < TARGETS["burst_tasks_p99_ms"]),
        ("idle RSS < 20 MB", f"{idle_mb:.1f} MB", idle_mb < TARGETS["idle_rss_mb"]),
        ("start-up to first /healthz < 200 ms (existing db)", f"{startup_ms:.0f} ms (median of {STARTS})", startup_ms < TARGETS["startup_ms"]),
    ]
    sane = all(r["socket_errors"] == 0 and r["unexpected_status"] == 0 for r in rows + [login_n])
    sane = sane and all(b["socket_errors"] == 0 and b["unexpected_status"] == 0 for b in (burst["logins"], burst["tasks"]))

    result = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "binary": BIN,
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"duration_s": DURATION, "warmup_s": WARMUP, "rounds": ROUNDS, "wrk_threads": THREADS,
                     "connections": CONNECTIONS, "login_connections": LOGIN_CONNECTIONS,
                     "burst_logins": BURST_LOGINS, "burst_task_connections": BURST_TASK_CONNECTIONS},
        "startup_ms": {"fresh_database": round(fresh_startup_ms, 1),
                       "existing_database": [round(x, 1) for x in starts],
                       "median": round(startup_ms, 1)},
        "idle_rss_mb": {"after_start": [round(x / 1024, 1) for x in idle], "median": round(idle_mb, 1),
                        "scenario_server_after_setup_requests": round(idle_after_start_kb / 1024, 1)},
        "scenarios": rows,
        "login_n": login_n,
        "limits": {"per_write_us": limits_write_us, "per_login_us": limits_login_us,
                   "login_us": login1, "per_login_us_rounds": [
                       round(a["cpu_us_per_req"] - b["cpu_us_per_req"], 1)
                       for a, b in zip(runs["login1_limits"], runs["login1"])]},
        "burst": burst,
        "lifetime_peak_rss_mb": lifetime_peak_mb,
        "argon2_reference": ref,
        "guard_micro": guard,
        "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in checks],
        "all_requests_answered_as_expected": sane,
        "wall_s": round(time.time() - started, 1),
    }
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = render_md(result)
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(md)
    print(md)
    shutil.rmtree(workdir, ignore_errors=True)


def render_md(r):
    st = r["settings"]
    lines = [
        f"# taskgate benchmark — {r['when']}",
        "",
        f"{r['machine']['cpus']} CPUs, kernel {r['machine']['kernel']}, load average before "
        f"{r['machine']['loadavg_before']} / after {r['machine']['loadavg_after']}. "
        f"wrk {st['wrk_threads']} threads, {st['connections']} connections "
        f"(1 for logins one at a time), {st['duration_s']} s per scenario after {st['warmup_s']} s warm-up, "
        f"{st['rounds']} interleaved rounds (median; CPU range over rounds); release build, "
        f"SQLite (WAL, synchronous=FULL), loopback. Binary: `{os.path.relpath(r['binary'], ROOT)}`.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | server CPU µs/req (range) | × bare | × /healthz | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in r["scenarios"]:
        lines.append(f"| {s['scenario']} | {s['rps']:.0f} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | "
                     f"{s['cpu_us_per_req']:.1f} ({s['cpu_us_min']:.1f}–{s['cpu_us_max']:.1f}) | "
                     f"{s['vs_bare']:.2f} | {s['vs_healthz']:.2f} | {s['peak_rss_mb']} |")
    n = r["login_n"]
    lines.append(f"| {n['scenario']} (once) | {n['rps']:.0f} | {n['p50_ms']:.2f} | {n['p99_ms']:.2f} | "
                 f"{n['cpu_us_per_req']:.1f} | | | {n['peak_rss_mb']} |")
    b = r["burst"]
    lim = r["limits"]
    lines += [
        "",
        f"**Login limits in the database** (a third process with `AUTH_RATE_LIMIT_PER_MIN={LIMITS_ON}`, "
        f"so nothing is refused and every attempt pays the writes): one attempt refused before hashing costs "
        f"{lim['per_write_us']:+.1f} µs CPU more than with limits off (the per-IP upsert); a successful login "
        f"(per-IP and per-account takes in one write, the refund inside the session's write) {lim['per_login_us']:+.1f} µs "
        f"(per round: {lim['per_login_us_rounds']}), against {lim['login_us'] / 1000:.2f} ms per login.",
        "",
        f"**Burst** ({st['burst_logins']} concurrent logins for {b['logins']['seconds']:.0f} s, "
        f"GET /api/tasks (20 tasks) on {st['burst_task_connections']} connections alongside): "
        f"logins {b['logins']['rps']:.1f}/s (p99 {b['logins']['p99_ms']:.0f} ms); "
        f"tasks {b['tasks']['rps']:.0f} req/s, p50 {b['tasks']['p50_ms']:.2f} ms, "
        f"p99 {b['tasks']['p99_ms']:.2f} ms; peak RSS {b['peak_rss_mb']} MB.",
        "",
        f"**Argon2id reference** (m=19456, t=2, p=1, same crate and build profile, measured in this run): "
        f"{r['argon2_reference']['cpu_ms_per_hash']:.2f} ms CPU per hash on one thread alone, "
        f"{r['argon2_reference']['parallel_cpu_ms_per_hash']:.2f} ms per hash while "
        f"{r['argon2_reference']['parallel_threads']} threads hash at once "
        f"({r['argon2_reference']['hashes']} hashes per thread; Argon2 is memory-bound, so concurrent hashes slow each other).",
        "",
        f"**Start-up** to the first answered /healthz on the existing database: median "
        f"{r['startup_ms']['median']:.0f} ms ({r['startup_ms']['existing_database']}); "
        f"fresh database with migrations: {r['startup_ms']['fresh_database']:.0f} ms. "
        f"**Idle RSS** after start: {r['idle_rss_mb']['median']} MB. "
        f"Process peak RSS over the whole run: {r['lifetime_peak_rss_mb']} MB.",
        "",
        "**Guard** (`cargo bench --bench guard`, single calls on one thread after warm-up): "
        + "; ".join(f"{k} p50 {v['p50_us']:.1f} µs, p99 {v['p99_us']:.1f} µs" for k, v in r["guard_micro"].items())
        + ".",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
    ]
    for t in r["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {verdict(t['met'])} |")
    lines += ["", "Every request answered as expected (no socket errors, no unexpected status): "
              + ("yes" if r["all_requests_answered_as_expected"] else "**NO** — see latest.json"), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
