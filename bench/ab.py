#!/usr/bin/env python3
"""Interleaved A/B of two (or more) taskgate binaries: CPU per request, split
into user and system time, for a few light scenarios.

    bench/ab.py OLD_BIN,NEW_BIN [ROUNDS] [healthz|me|list ...]   (default: 3 rounds, me list)

Both servers run side by side on one SQLite file (a reader with 20 tasks);
each round runs every scenario once against each binary, 1 s warm-up then
AB_DURATION (5) s of wrk with 8 connections, so the VM's drift hits both
alike. AB_ENV="NAME=value ..." sets variables for every server (e.g.
AB_ENV=REMEMBER_TASK_PAGES=false: `list` then reads every page from the rows). It prints each measurement and the median per scenario and binary.
Needs what bench/run needs (wrk, release binaries).
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

PATHS = {"healthz": "/healthz", "me": "/api/auth/me", "list": "/api/tasks"}


def cpu_ticks(server):
    with open(f"/proc/{server.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])  # utime, stime


def main():
    bins = [os.path.abspath(b) for b in sys.argv[1].split(",")]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    scenarios = sys.argv[3:] or ["me", "list"]
    duration = int(os.environ.get("AB_DURATION", "5"))
    workdir = tempfile.mkdtemp(prefix="taskgate-ab-")
    db = os.path.join(workdir, "ab.db")
    secret = "ab-secret-ab-secret-ab-secret-ab-secret-ab-secret"

    setup = bench.Server(workdir, db, secret, argv=[bins[0], "serve"], name="setup").start()
    status, body = setup.request("POST", "/api/auth/signup",
                                 {"email": bench.EMAIL, "password": bench.PASSWORD, "name": "AB"})
    assert status == 201, (status, body)
    for i in range(bench.TASKS):
        assert setup.request("POST", "/api/tasks", {"title": f"task {i + 1}"},
                             body["access_token"])[0] == 201
    setup.stop()

    servers, results = [], {}
    try:
        for i, binary in enumerate(bins):
            extra = dict(kv.split("=", 1) for kv in os.environ.get("AB_ENV", "").split())
            server = bench.Server(workdir, db, secret, argv=[binary, "serve"], name=f"bin{i}",
                                  extra_env=extra)
            servers.append(server)
            server.start()
            status, body = server.request("POST", "/api/auth/login",
                                          {"email": bench.EMAIL, "password": bench.PASSWORD})
            assert status == 200, (status, body)
            server.token = body["access_token"]
        for r in range(rounds):
            for scenario in scenarios:
                for i, server in enumerate(servers):
                    env = {"TG_TOKEN": "" if scenario == "healthz" else server.token}
                    bench.wrk(server.port, "get.lua", PATHS[scenario], 8, 1, env=env)
                    (u0, s0) = cpu_ticks(server)
                    out = bench.wrk(server.port, "get.lua", PATHS[scenario], 8, duration, env=env)
                    (u1, s1) = cpu_ticks(server)
                    n = out["requests"]
                    user = (u1 - u0) / bench.CLK_TCK / n * 1e6
                    system = (s1 - s0) / bench.CLK_TCK / n * 1e6
                    results.setdefault((scenario, i), []).append(user + system)
                    print(f"round {r + 1} {scenario:8s} bin{i}: {user + system:6.1f} µs/req "
                          f"(user {user:.1f}, system {system:.1f}), {n / duration:.0f} req/s, "
                          f"non-2xx {out['errors_status']}", flush=True)
    finally:
        for server in servers:
            server.stop()
    for (scenario, i), values in sorted(results.items()):
        values.sort()
        print(f"{scenario:8s} bin{i} ({bins[i]}): median {values[len(values) // 2]:.1f} µs/req "
              f"over {len(values)} rounds {[round(v, 1) for v in values]}")


if __name__ == "__main__":
    main()
