#!/usr/bin/env python3
"""Instruction profiles of single requests (issue 16), with valgrind's callgrind.

Instruction counts do not depend on the machine's load, so on a shared VM
they are the steady way to see where a request's user-space work goes (the
kernel's share, loopback TCP and context switches, is not counted: see the
CPU-per-request figures of bench/run for that).

    bench/profile.py [bare|healthz|me|list|list_fresh|list_pat|healthz_metrics ...]   (default: bare healthz me)

For each scenario it starts the release binary under callgrind with
instrumentation off, sets up a user (20 tasks, a PAT) with a plain server
first, warms up, switches instrumentation on for PROFILE_REQUESTS (default
2000) requests on one keep-alive connection, and dumps. It prints the
instructions per request and the top functions, self and inclusive, and
keeps the full output in bench/results/profile-<scenario>.txt.
Needs: valgrind (callgrind_control, callgrind_annotate); `bench/run` or
`cargo build --release --bin taskgate --example bare` first. BENCH_BIN as in bench.py.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Server, free_port, constants)

N = int(os.environ.get("PROFILE_REQUESTS", "2000"))
TOP = int(os.environ.get("PROFILE_TOP", "25"))


def callgrind(cmd, out):
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out}", *cmd]


def control(pid, *args):
    subprocess.run(["callgrind_control", *args, str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def hammer(port, path, headers, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(n):
        conn.request("GET", path, headers=headers)
        res = conn.getresponse()
        res.read()
        assert res.status == 200, res.status
    conn.close()


def annotate(outfile, inclusive):
    res = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                          "--threshold=100", outfile], capture_output=True, text=True, check=True)
    return res.stdout


def total_ir(text):
    m = re.search(r"^\s*([\d,]+).*PROGRAM TOTALS", text, re.M)
    return int(m.group(1).replace(",", "")) if m else None


def top_lines(text, n):
    out, started = [], False
    for line in text.splitlines():
        if "file:function" in line:
            started = True
            continue
        if started and line.strip() and not line.startswith("-"):
            out.append(line)
            if len(out) >= n:
                break
    return out


def setup(workdir, db, secret):
    s = bench.Server(workdir, db, secret).start()
    status, body = s.request("POST", "/api/auth/signup",
                             {"email": bench.EMAIL, "password": bench.PASSWORD, "name": "Bench"})
    assert status == 201, (status, body)
    token = body["access_token"]
    for i in range(bench.TASKS):
        assert s.request("POST", "/api/tasks", {"title": f"task {i + 1}"}, token)[0] == 201
    pat = bench.create_pat(s, token)
    s.stop()
    return pat


def main():
    scenarios = sys.argv[1:] or ["bare", "healthz", "me"]
    os.makedirs(bench.RESULTS, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="taskgate-profile-")
    db = os.path.join(workdir, "bench.db")
    secret = "profile-secret-profile-secret-profile-secret"
    pat = setup(workdir, db, secret)
    for scenario in scenarios:
        out = os.path.join(workdir, f"callgrind.{scenario}")
        extra = {"METRICS_ADDR": f"127.0.0.1:{bench.free_port()}"} if scenario == "healthz_metrics" else {}
        if scenario == "list_fresh":
            extra = {"REMEMBER_TASK_PAGES": "false"}
        argv = [bench.BARE_BIN] if scenario == "bare" else [bench.BIN, "serve"]
        server = bench.Server(workdir, db, secret, extra_env=extra, argv=callgrind(argv, out),
                              name=f"profile-{scenario}")
        server.start(timeout=300)
        headers = {}
        path = "/healthz"
        if scenario in ("me", "list", "list_fresh"):
            # A fresh login on the profiled server itself (instrumentation is off).
            status, body = server.request("POST", "/api/auth/login",
                                          {"email": bench.EMAIL, "password": bench.PASSWORD})
            assert status == 200, (status, body)
            headers = {"Authorization": f"Bearer {body['access_token']}"}
            path = "/api/auth/me" if scenario == "me" else "/api/tasks"
        elif scenario == "list_pat":
            headers, path = {"Authorization": f"Bearer {pat}"}, "/api/tasks"
        hammer(server.port, path, headers, 200)  # warm-up, not instrumented
        pid = server.proc.pid
        control(pid, "-i", "on")
        t0 = time.monotonic()
        hammer(server.port, path, headers, N)
        control(pid, "-i", "off")
        control(pid, "-d")
        wall = time.monotonic() - t0
        server.stop()
        dumps = sorted(f for f in os.listdir(workdir) if f.startswith(f"callgrind.{scenario}"))
        dump = max((os.path.join(workdir, f) for f in dumps), key=os.path.getsize)
        self_text, incl_text = annotate(dump, False), annotate(dump, True)
        ir = total_ir(self_text)
        report = [f"# {scenario}: {path}, {N} requests under callgrind ({wall:.1f} s)",
                  f"instructions per request: {ir / N:,.0f}" if ir else "instructions: ?", "",
                  "## self", *top_lines(self_text, TOP), "", "## inclusive", *top_lines(incl_text, TOP), ""]
        text = "\n".join(report)
        with open(os.path.join(bench.RESULTS, f"profile-{scenario}.txt"), "w") as f:
            f.write(text + "\n\n# full self annotation\n" + self_text)
        print(text, flush=True)
        print(json.dumps({"scenario": scenario, "ir_per_request": round(ir / N) if ir else None}))


if __name__ == "__main__":
    main()
