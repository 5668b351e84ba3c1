#!/usr/bin/python3
"""bench.py — Debian's python3-docker doing what floor.c and bench.lua do.

    /usr/bin/python3 tests/bench/bench.py ping N
    /usr/bin/python3 tests/bench/bench.py inspect N ID
    /usr/bin/python3 tests/bench/bench.py ps N
    /usr/bin/python3 tests/bench/bench.py ping|inspect|ps N [ID] api

Default: the high-level client (docker.from_env()): client.ping(),
client.containers.get(ID), client.containers.list(all=True).
With `api` as the last argument: the low-level docker.APIClient:
api.ping(), api.inspect_container(ID), api.containers(all=True).

The client is made (which negotiates the API version: GET /version) and one
ping is done before the clock starts, so the loop measures steady-state calls
on an open connection. Prints the loop's elapsed seconds (time.monotonic).
"""
import sys
import time

import docker


def main():
    args = sys.argv[1:]
    level = "friendly"
    if args and args[-1] in ("api", "core", "friendly"):
        level = "api" if args.pop() in ("api", "core") else "friendly"
    if len(args) < 2:
        sys.exit("usage: bench.py ping|inspect|ps N [ID] [api]")
    what, n = args[0], int(args[1])
    ident = args[2] if len(args) > 2 else None
    if what == "inspect" and not ident:
        sys.exit("bench.py: inspect needs an ID")

    if level == "friendly":
        client = docker.from_env()
        client.ping()
        if what == "ping":
            call = client.ping
        elif what == "inspect":
            def call():
                return client.containers.get(ident)
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
        elif what == "ps":
            def call():
                return api.containers(all=True)
        else:
            sys.exit("bench.py: unknown benchmark " + what)

    t0 = time.monotonic()
    for _ in range(n):
        call()
    t1 = time.monotonic()
    print("%.6f" % (t1 - t0))


if __name__ == "__main__":
    main()
