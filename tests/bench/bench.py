#!/usr/bin/python3
"""bench.py — Debian's python3-docker doing what floor.c and bench.lua do.

    /usr/bin/python3 tests/bench/bench.py ping N
    /usr/bin/python3 tests/bench/bench.py inspect N ID
    /usr/bin/python3 tests/bench/bench.py pinspect N ID
    /usr/bin/python3 tests/bench/bench.py ps N
    /usr/bin/python3 tests/bench/bench.py ping|inspect|pinspect|ps N [ID] api

Default: the high-level client (docker.from_env()): client.ping(),
client.containers.get(ID), client.containers.list(all=True).
With `api` as the last argument: the low-level docker.APIClient:
api.ping(), api.inspect_container(ID), api.containers(all=True).

pinspect: the same N inspects, PAR (8) at once: a ThreadPoolExecutor with PAR
workers, each worker doing its share of the N calls on its own client (its
own connection), made and pinged before the clock starts.

The client is made (which negotiates the API version: GET /version) and one
ping is done before the clock starts, so the loop measures steady-state calls
on an open connection. Prints the loop's elapsed seconds (time.monotonic).
"""
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import docker

PAR = 8


def main():
    args = sys.argv[1:]
    level = "friendly"
    if args and args[-1] in ("api", "core", "friendly"):
        level = "api" if args.pop() in ("api", "core") else "friendly"
    if len(args) < 2:
        sys.exit("usage: bench.py ping|inspect|pinspect|ps N [ID] [api]")
    what, n = args[0], int(args[1])
    ident = args[2] if len(args) > 2 else None
    if what in ("inspect", "pinspect") and not ident:
        sys.exit("bench.py: inspect needs an ID")

    if level == "friendly":
        client = docker.from_env()
        client.ping()
        if what == "ping":
            call = client.ping
        elif what == "inspect":
            def call():
                return client.containers.get(ident)
        elif what == "pinspect":
            clients = [docker.from_env() for _ in range(PAR)]
            for c in clients:
                c.ping()

            def one(c):
                return c.containers.get(ident)
        elif what == "ps":
            def call():
                # ignore_removed: other suites may remove containers meanwhile;
                # the requests made are the same (1 list + 1 inspect each).
                return client.containers.list(all=True, ignore_removed=True)
        else:
            sys.exit("bench.py: unknown benchmark " + what)
    else:
        api = docker.from_env().api  # the APIClient, DOCKER_HOST honoured
        api.ping()
        if what == "ping":
            call = api.ping
        elif what == "inspect":
            def call():
                return api.inspect_container(ident)
        elif what == "pinspect":
            clients = [docker.from_env().api for _ in range(PAR)]
            for c in clients:
                c.ping()

            def one(c):
                return c.inspect_container(ident)
        elif what == "ps":
            def call():
                return api.containers(all=True)
        else:
            sys.exit("bench.py: unknown benchmark " + what)

    if what == "pinspect":
        shares = [n // PAR + (1 if i < n % PAR else 0) for i in range(PAR)]

        def work(i):
            for _ in range(shares[i]):
                one(clients[i])

        with ThreadPoolExecutor(PAR) as pool:
            # all PAR worker threads started before the clock
            ready = threading.Barrier(PAR)
            for f in [pool.submit(ready.wait) for _ in range(PAR)]:
                f.result()
            t0 = time.monotonic()
            for f in [pool.submit(work, i) for i in range(PAR)]:
                f.result()
            t1 = time.monotonic()
        print("%.6f" % (t1 - t0))
        return

    t0 = time.monotonic()
    for _ in range(n):
        call()
    t1 = time.monotonic()
    print("%.6f" % (t1 - t0))


if __name__ == "__main__":
    main()
