"""Draining a van's backlog over a poor link, against a bare sequential client on the same link, in one run.

    .venv/bin/python benchmarks/bench_sync.py [--n 1000] [--concurrency 4] [--rtt 0.3] [--rate 1e6] [--loss 0.02]

The link: 300 ms round trip, 1 Mbit/s each way, 2 % segment loss. `tc netem` in a network namespace is the
natural tool, but many sandboxes and CI kernels lack the netem qdisc, so the link is a userspace shaping
proxy on 127.0.0.1 (LinkProxy below) with the same parameters:

- each direction is one FIFO link: a 1460-byte segment occupies it for 1460*8/rate seconds;
- each segment then takes RTT/2 to arrive; segments of one connection arrive in order;
- a new connection costs one round trip (the TCP handshake) before its first byte goes out;
- a lost segment is sent again after RTT + 200 ms (a retransmission timeout) and occupies the link twice,
  and everything behind it on that connection waits (head-of-line blocking).

Both clients post the same 1,000 sealed envelopes, each to its own dev-backend behind its own proxy with
the same parameters and loss seed:
  bare:  one requests.Session, one request after the other (what a naive sync loop does);
  kiosk: offline_queue's Syncer (keep-alive pool, `concurrency` requests in flight per destination).
Goals (issue 9 §4): kiosk >= 4x faster than bare; kiosk within 1.5x of what the link's bandwidth allows for
the bytes it actually moved (the busier direction's bytes * 8 / rate).
Only the ratios are meant to be compared; both runs see the same link in the same process.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from offline_queue import open_outbox  # noqa: E402
from offline_queue.devbackend import start_dev_backend  # noqa: E402
from offline_queue.sync import SyncPolicy, Syncer  # noqa: E402
from tests.queue_fixtures import make_queue_config, sample_payload, with_destinations  # noqa: E402

MSS = 1460


class _Direction:
    """One direction of the link: a FIFO that serialises segments at `rate` bits per second."""

    def __init__(self, rate: float):
        self.rate = rate
        self.free_at = 0.0
        self.bytes = 0

    def transmit(self, size: int, now: float) -> float:
        """When a segment of `size` bytes handed over at `now` has left the sender."""
        self.free_at = max(now, self.free_at) + size * 8 / self.rate
        self.bytes += size
        return self.free_at


class LinkProxy:
    """A TCP proxy on 127.0.0.1 that behaves like a slow, lossy link (see the module docstring)."""

    def __init__(self, target_port: int, rtt: float, rate: float, loss: float, seed: int = 1):
        self.target_port, self.rtt, self.loss = target_port, rtt, loss
        self.up, self.down = _Direction(rate), _Direction(rate)
        self.rng = random.Random(seed)
        self.connections = 0
        self.lost = 0
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="link-proxy")
        self.thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    async def _accept(self, client_reader, client_writer) -> None:
        self.connections += 1
        opened = self.loop.time()
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        # The handshake: the client's first byte leaves one round trip after it asked to connect.
        try:
            await asyncio.gather(self._pipe(client_reader, server_writer, self.up, opened + self.rtt),
                                 self._pipe(server_reader, client_writer, self.down, opened),
                                 return_exceptions=True)
        except asyncio.CancelledError:  # the proxy is stopping
            pass

    async def _pipe(self, reader, writer, link: _Direction, not_before: float) -> None:
        queue: asyncio.Queue = asyncio.Queue()
        writer_task = asyncio.ensure_future(self._deliver(queue, writer))
        last = 0.0
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for i in range(0, len(data), MSS):
                    segment = data[i:i + MSS]
                    sent = link.transmit(len(segment), max(self.loop.time(), not_before))
                    arrive = sent + self.rtt / 2
                    if self.rng.random() < self.loss:  # lost: sent again after a retransmission timeout
                        self.lost += 1
                        # The resend uses the link again; it is booked now so that it never holds the FIFO
                        # for other connections while this one waits out its timeout.
                        link.transmit(len(segment), sent)
                        arrive = sent + self.rtt + 0.2 + self.rtt / 2
                    last = max(last, arrive)  # in order within the connection
                    queue.put_nowait((last, segment))
        except (OSError, asyncio.CancelledError):
            pass
        queue.put_nowait((last, None))
        await writer_task

    async def _deliver(self, queue: asyncio.Queue, writer) -> None:
        try:
            while True:
                at, segment = await queue.get()
                delay = at - self.loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if segment is None:
                    break
                writer.write(segment)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except (OSError, RuntimeError):
                pass

    async def _shutdown(self) -> None:
        self.server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _queue(tmp: Path, label: str, n: int, link_args: tuple, options: dict):
    """A fresh kiosk queue of n submissions, its own dev-backend and its own link in front of it."""
    config, private = make_queue_config(tmp / label)
    backend = start_dev_backend(tmp / label / "backend.db", [private])
    link = LinkProxy(backend.port, *link_args)
    config = with_destinations(config, {"*": {"url": f"http://127.0.0.1:{link.port}", **options}})
    outbox = open_outbox(config)
    for i in range(n):
        outbox.enqueue(sample_payload(f"B{i:07d}"), config.destination("x"))
    return config, backend, link, outbox


def _bare(tmp: Path, n: int, link_args: tuple) -> tuple[float, LinkProxy]:
    """A requests.Session posting the queue's own envelopes one after the other."""
    config, backend, link, outbox = _queue(tmp, "bare", n, link_args, {})
    bodies = [(item.id, body, content_type) for item, body, _, content_type, _ in outbox.exportable()]
    outbox.close()
    session = requests.Session()
    t0 = time.monotonic()
    for sid, body, content_type in bodies:
        answer = session.post(f"http://127.0.0.1:{link.port}/submissions", data=body, timeout=60,
                              headers={"Content-Type": content_type, "Idempotency-Key": sid})
        answer.raise_for_status()
    elapsed = time.monotonic() - t0
    session.close()
    assert len(backend.rows()) == n
    link.stop()
    backend.stop()
    return elapsed, link


def _kiosk(tmp: Path, label: str, n: int, link_args: tuple, options: dict) -> dict:
    config, backend, link, outbox = _queue(tmp, label, n, link_args, options)
    syncer = Syncer(outbox, config, SyncPolicy(base_delay=0.5, max_delay=2))
    t0 = time.monotonic()
    passes = 0
    while outbox.pending() and passes < 50:
        syncer.run_once()
        passes += 1
    elapsed = time.monotonic() - t0
    keys = [r["idempotency_key"] for r in backend.rows()]
    run = {"label": label, "time": elapsed, "passes": passes, "connections": link.connections, "lost": link.lost,
           "up": link.up.bytes, "down": link.down.bytes, "delivered": outbox.counts()["delivered"],
           "at_backend": len(keys), "duplicates": len(keys) - len(set(keys))}
    outbox.close()
    link.stop()
    backend.stop()
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50, help="submissions per batch request in the third run")
    parser.add_argument("--rtt", type=float, default=0.3)
    parser.add_argument("--rate", type=float, default=1e6, help="bits per second, each way")
    parser.add_argument("--loss", type=float, default=0.02)
    args = parser.parse_args()
    link_args = (args.rtt, args.rate, args.loss)
    print(f"{args.n} submissions; link: RTT {args.rtt * 1000:.0f} ms, {args.rate / 1e6:g} Mbit/s each way, "
          f"{args.loss:.0%} segment loss (userspace shaping proxy)")
    ok = True
    with tempfile.TemporaryDirectory(prefix="ponte-bench-sync-") as tmp:
        tmp = Path(tmp)
        bare, bare_link = _bare(tmp, args.n, link_args)
        print(f"  bare sequential requests.Session   {bare:7.1f} s  {args.n / bare:6.1f}/s  "
              f"({bare_link.connections} connection, {bare_link.lost} segments lost)")
        runs = [_kiosk(tmp, f"kiosk, concurrency {args.concurrency}", args.n, link_args,
                       {"concurrency": args.concurrency}),
                _kiosk(tmp, f"kiosk, concurrency {args.concurrency}, batch {args.batch}", args.n, link_args,
                       {"concurrency": args.concurrency, "batch": args.batch})]
        for run in runs:
            bound = max(run["up"], run["down"]) * 8 / args.rate
            print(f"  {run['label']:35} {run['time']:7.1f} s  {args.n / run['time']:6.1f}/s  "
                  f"speed-up {bare / run['time']:5.2f}x (goal >= 4x)  "
                  f"vs bandwidth bound {bound:.1f} s: {run['time'] / bound:5.2f}x (goal <= 1.5x)")
            print(f"  {'':35} {run['connections']} connections, {run['lost']} segments lost, {run['passes']} "
                  f"pass(es), {run['up']} bytes up, {run['down']} down; exactly once: {run['delivered']} delivered, "
                  f"{run['at_backend']} at the backend, {run['duplicates']} duplicates")
            ok = ok and run["delivered"] == args.n == run["at_backend"] and run["duplicates"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
