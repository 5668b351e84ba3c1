#!/usr/bin/python3
"""flows.py — Debian's python3-docker doing what floor_flows.c and flows.lua do.

    /usr/bin/python3 tests/bench/flows.py run IMAGE N
    /usr/bin/python3 tests/bench/flows.py prun IMAGE N
    /usr/bin/python3 tests/bench/flows.py logs ID
    /usr/bin/python3 tests/bench/flows.py events SINCE PREFIX N

run: N x client.containers.run(IMAGE, ["true"], remove=True, labels=...), one
after the other; prun: the same N runs in a ThreadPoolExecutor(8), each worker
on its own client made and pinged before the clock. logs: api.logs(ID,
stream=True), the chunks' bytes counted (docker-py has no line iterator, so
there is no loglines). events: client.events(since=SINCE, filters=image tag
events, decode=True) until N whose Actor name starts with PREFIX.

Run containers carry luadock.managed=1, luadock.bench=1 and, with BENCH_RUN
set, luadock.bench.run=$BENCH_RUN (what flows.sh cleans up by).

A benchmark, not a test. Prints the elapsed seconds of the timed part
(time.monotonic); logs adds the bytes read.
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import docker

PAR = 8
LABELS = {"luadock.managed": "1", "luadock.bench": "1"}
if os.environ.get("BENCH_RUN"):
    LABELS["luadock.bench.run"] = os.environ["BENCH_RUN"]


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit("usage: flows.py run|prun IMAGE N | logs ID | events SINCE PREFIX N")
    what = args[0]
    client = docker.from_env()
    client.ping()
    if what in ("run", "prun"):
        image, n = args[1], int(args[2])

        def one(c):
            c.containers.run(image, ["true"], remove=True, labels=LABELS)

        if what == "run":
            t0 = time.monotonic()
            for _ in range(n):
                one(client)
            t1 = time.monotonic()
        else:
            clients = [docker.from_env() for _ in range(PAR)]
            for c in clients:
                c.ping()
            shares = [n // PAR + (1 if i < n % PAR else 0) for i in range(PAR)]

            def work(i):
                for _ in range(shares[i]):
                    one(clients[i])

            with ThreadPoolExecutor(PAR) as pool:
                t0 = time.monotonic()
                for f in [pool.submit(work, i) for i in range(PAR)]:
                    f.result()
                t1 = time.monotonic()
        print("%.6f" % (t1 - t0))
    elif what == "logs":
        nbytes = 0
        t0 = time.monotonic()
        for chunk in client.api.logs(args[1], stream=True):
            nbytes += len(chunk)
        t1 = time.monotonic()
        print("%.6f %d 0" % (t1 - t0, nbytes))
    elif what == "events":
        since, prefix, n = int(args[1]), args[2], int(args[3])
        seen = 0
        t0 = time.monotonic()
        stream = client.events(since=since, filters={"type": "image", "event": "tag"}, decode=True)
        for ev in stream:
            name = ev.get("Actor", {}).get("Attributes", {}).get("name", "")
            if name.startswith(prefix):
                seen += 1
                if seen >= n:
                    break
        stream.close()
        t1 = time.monotonic()
        print("%.6f" % (t1 - t0))
    else:
        sys.exit("flows.py: unknown benchmark " + what)


if __name__ == "__main__":
    main()
