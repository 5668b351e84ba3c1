#!/usr/bin/python3
"""tests/spec/proxy.py - the recording proxy of the spec check (tests/spec/README.md).

One unix socket in front of each engine's socket. Bytes go through unchanged, both
ways; on the way in, each HTTP/1.1 request is parsed (keep-alive, several requests a
connection, Content-Length and chunked bodies) and one JSON line per request is
appended to <dir>/engine<N>.jsonl: method, target, User-Agent, Content-Type, the
body when it is JSON, and the command line of the process that connected. After a
request carrying `Upgrade:` (attach, exec start: the connection is hijacked) the
rest of that connection is piped both ways without looking at it. Responses are
never parsed. It must not change what either side sees: no header is added, and a
half-close (stdin EOF on a hijacked stream) is passed on as a half-close.

Why hand-written: no Debian package offers a recording unix-socket HTTP proxy that
forwards byte-exact and steps aside at a hijack (mitmproxy rewrites requests and is
not in Debian 12; socat records only raw bytes). Standard library only.

  proxy.py start <dir> <N>=<engine socket> ...   start in the background, return
                                                 once every socket listens
  proxy.py stop <dir>                            stop the one started in <dir>
"""
import asyncio
import json
import os
import re
import signal
import socket
import struct
import sys
import time

HEAD_LIMIT = 1 << 20        # a request head larger than this is not HTTP we parse
BODY_KEEP = 8 << 20         # JSON bodies kept up to this size (recorded as truncated beyond)
CHUNK = 1 << 16


def peer_command(sock):
    """The command line of the process at the other end (SO_PEERCRED), for reports."""
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid = struct.unpack("3i", creds)[0]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
        return " ".join(a.decode(errors="replace") for a in args if a)[:300]
    except OSError:
        return "?"


class Recorder:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")

    def write(self, record):
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()


async def copy(src, dst, half_close=True):
    """Raw bytes src -> dst until EOF; then half-close dst (or close it)."""
    try:
        while True:
            data = await src.read(CHUNK)
            if not data:
                break
            dst.write(data)
            await dst.drain()
    except (ConnectionError, OSError):
        pass
    try:
        if half_close and dst.can_write_eof():
            dst.write_eof()
        else:
            dst.close()
    except (ConnectionError, OSError, RuntimeError):
        pass


async def forward(src, dst, n, keep):
    """Forward exactly n bytes; append them to keep (a bytearray or None)."""
    while n > 0:
        data = await src.read(min(n, CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", n)
        n -= len(data)
        dst.write(data)
        if keep is not None and len(keep) < BODY_KEEP:
            keep += data
        await dst.drain()


async def forward_chunked(src, dst, keep):
    """Forward a chunked body up to and with its last CRLF; keep the decoded bytes."""
    while True:
        line = await src.readuntil(b"\r\n")
        dst.write(line)
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:                      # trailers, then the empty line
                line = await src.readuntil(b"\r\n")
                dst.write(line)
                if line == b"\r\n":
                    await dst.drain()
                    return
        await forward(src, dst, size, keep)
        await forward(src, dst, 2, None)


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError("not HTTP/1.x: " + lines[0])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


# What a request line starts with: a method (so far) and a space. Bytes that cannot
# be one (TLS spoken to this plain socket, garbage) go through at once, as they would
# reach the engine, which answers them itself.
REQUEST_START = re.compile(rb"[A-Z]{0,16}$|[A-Z]{1,16} ")


async def read_head(reader, up):
    """The next request head, or None (EOF, or not HTTP: what was read is forwarded)."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        if not REQUEST_START.match(head[:17]) or len(head) > HEAD_LIMIT:
            up.write(head)
            return None
        byte = await reader.read(1) if len(head) < 17 else None
        if byte is None:                     # the method is known: the rest in one go
            try:
                head += await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as e:
                head += e.partial
                up.write(head)
                return None
            except asyncio.LimitOverrunError:
                up.write(head)
                return None
            continue
        if not byte:
            up.write(head)
            return None
        head += byte
    return head


async def requests(reader, up, recorder, client):
    """Parse and forward requests until EOF or a hijack; then pipe the rest raw."""
    while True:
        head = await read_head(reader, up)
        if head is None:
            break
        up.write(head)
        try:
            method, target, headers = parse_head(head)
        except ValueError:
            break
        ctype = headers.get("content-type", "")
        keep = bytearray() if "json" in ctype.lower() else None
        record = {"method": method, "target": target, "user_agent": headers.get("user-agent", ""),
                  "content_type": ctype, "client": client, "time": round(time.time(), 3)}
        try:
            if "chunked" in headers.get("transfer-encoding", "").lower():
                await forward_chunked(reader, up, keep)
            elif int(headers.get("content-length", "0") or "0") > 0:
                await forward(reader, up, int(headers["content-length"]), keep)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            record["incomplete"] = True
            keep = None
        if keep is not None and keep:
            record["body"] = keep[:BODY_KEEP].decode("utf-8", errors="replace")
            if len(keep) >= BODY_KEEP:
                record["truncated"] = True
        recorder.write(record)
        await up.drain()
        if "upgrade" in headers or record.get("incomplete"):
            break
    await copy(reader, up)


# asyncio holds tasks weakly, and Python 3.11's start_unix_server keeps no reference
# to the task of a connection: one waiting on a socket the loop no longer reads (a
# half-closed one) would be collected mid-stream, cutting the rest of its output.
LIVE = set()


async def serve(engine_socket, recorder, reader, writer):
    LIVE.add(asyncio.current_task())
    try:
        await serve_connection(engine_socket, recorder, reader, writer)
    finally:
        LIVE.discard(asyncio.current_task())


async def serve_connection(engine_socket, recorder, reader, writer):
    client = peer_command(writer.get_extra_info("socket"))
    try:
        up_r, up_w = await asyncio.open_unix_connection(engine_socket, limit=HEAD_LIMIT)
    except OSError:
        writer.close()                       # the client sees the engine's absence
        return
    down = asyncio.create_task(copy(up_r, writer))
    try:
        await requests(reader, up_w, recorder, client)
    except (ConnectionError, OSError):
        pass
    await down
    for w in (up_w, writer):
        try:
            w.close()
        except (ConnectionError, OSError, RuntimeError):
            pass


async def main(directory, pairs):
    servers = []
    for engine, target in pairs:
        path = os.path.join(directory, f"engine{engine}.sock")
        if os.path.exists(path):
            os.unlink(path)
        recorder = Recorder(os.path.join(directory, f"engine{engine}.jsonl"))
        servers.append(await asyncio.start_unix_server(
            lambda r, w, t=target, rec=recorder: serve(t, rec, r, w), path, limit=HEAD_LIMIT))
        os.chmod(path, 0o660)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    with open(os.path.join(directory, "proxy.ready"), "w") as f:
        f.write(str(os.getpid()))
    await stop.wait()
    for s in servers:
        s.close()


def running_pid(directory):
    """The pid of the proxy started in directory, if it still runs."""
    try:
        pid = int(open(os.path.join(directory, "proxy.pid")).read())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"proxy.py" in f.read():
                return pid
    except (OSError, ValueError):
        pass
    return None


def stop(directory):
    pid = running_pid(directory)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.05)
    for name in ("proxy.pid", "proxy.ready"):
        if os.path.exists(os.path.join(directory, name)):
            os.unlink(os.path.join(directory, name))
    print(f"proxy in {directory} stopped" + (f" (pid {pid})" if pid else " (was not running)"))


def start(directory, specs):
    pairs = [s.split("=", 1) for s in specs]
    os.makedirs(directory, exist_ok=True)
    stop(directory)                          # a proxy left by an interrupted run
    for engine, _ in pairs:                  # a fresh record per run
        open(os.path.join(directory, f"engine{engine}.jsonl"), "w").close()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        log = os.open(os.path.join(directory, "proxy.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)                      # ctest waits for its pipes: let go of them
        asyncio.run(main(directory, pairs))
        os._exit(0)
    with open(os.path.join(directory, "proxy.pid"), "w") as f:
        f.write(str(pid))
    for _ in range(200):
        if os.path.exists(os.path.join(directory, "proxy.ready")):
            for engine, target in pairs:
                print(f"engine {engine}: unix://{directory}/engine{engine}.sock -> {target}")
            return 0
        if os.waitpid(pid, os.WNOHANG)[0]:
            break
        time.sleep(0.05)
    print(f"the proxy did not start: see {directory}/proxy.log", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "start":
        sys.exit(start(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) == 3 and sys.argv[1] == "stop":
        stop(sys.argv[2])
        sys.exit(0)
    sys.exit(__doc__)
