"""Offline queue benchmarks: one run, ratios printed against simple baselines.

    .venv/bin/python benchmarks/bench_queue.py [--quick]

1. durable enqueue throughput vs raw sqlite3 (WAL, synchronous=FULL, same bytes)   goal >= 0.8x
2. durable enqueue throughput vs persist-queue SQLiteAckQueue (its defaults)       goal >= 2x
3. draining a 10,000 backlog to the dev-backend vs a bare requests.Session         goal >= 0.5x
4. start-up with 100,000 rows vs an empty queue                                    goal <= 1.2x
Times are wall-clock on this machine; only the ratios are meant to be compared.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from offline_queue import open_outbox  # noqa: E402
from offline_queue.devbackend import start_dev_backend  # noqa: E402
from offline_queue.sync import SyncPolicy, Syncer  # noqa: E402
from tests.queue_fixtures import make_queue_config, sample_payload, with_destinations  # noqa: E402


def enqueue_bench(tmp: Path, payloads: list[dict], rounds: int = 5) -> tuple[float, float, float]:
    """Throughput (/s) of the outbox, raw sqlite3 and persist-queue, interleaved in rounds so that the
    disk's fsync latency drifting during the run hits all three alike."""
    from persistqueue import SQLiteAckQueue
    config, _ = make_queue_config(tmp / "ours")
    outbox = open_outbox(config)
    destination = config.destination("x")
    outbox.enqueue(sample_payload("WARMUP01"), destination)  # keys loaded, file created
    # The floor: one INSERT of the same sealed bytes per transaction, same durability, no rendering or sealing.
    bodies = [(p["submission_id"], outbox.render(p, destination)[0].body) for p in payloads]
    raw = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE q (id TEXT PRIMARY KEY, state TEXT, created_at REAL, body BLOB)")
    raw.execute("CREATE INDEX q_state ON q(state)")
    # persist-queue with its defaults (it too uses WAL and synchronous=FULL, one commit per put).
    pq = SQLiteAckQueue(str(tmp / "pq"), auto_commit=True, multithreading=True)
    times = {"ours": 0.0, "raw": 0.0, "pq": 0.0}
    size = len(payloads) // rounds
    for r in range(rounds):
        chunk = slice(r * size, (r + 1) * size)
        t0 = time.perf_counter()
        for p in payloads[chunk]:
            outbox.enqueue(p, destination)
        times["ours"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for sid, body in bodies[chunk]:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO q VALUES (?,?,?,?)", (sid, "queued", time.time(), body))
            raw.execute("COMMIT")
        times["raw"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for p in payloads[chunk]:
            pq.put(p)
        times["pq"] += time.perf_counter() - t0
    outbox.close()
    raw.close()
    n = size * rounds
    return n / times["ours"], n / times["raw"], n / times["pq"]


def bulk_fill(outbox, config, n: int, body_source: dict) -> None:
    """Fill a queue quickly (one transaction) with real rendered rows: set-up only, not measured."""
    destination = config.destination("x")
    rendered, payload_sealed = outbox.render(body_source, destination)
    now = time.time()
    conn = outbox._conn  # noqa: SLF001 - benchmark set-up
    conn.execute("BEGIN")
    for i in range(n):
        sid = f"{i:08d}-0000-4000-8000-000000000000"
        outbox._insert((sid, f"B{i:07d}", "svc", "1", destination.name, destination.kind, "queued", 0,  # noqa: SLF001
                        now, now + i * 1e-6, now, rendered.content_type, rendered.seal),
                       (rendered.body, payload_sealed))
    conn.execute("COMMIT")


def drain_bench(tmp: Path, n: int) -> tuple[float, float]:
    config, private = make_queue_config(tmp / "kiosk")
    # Ours: the outbox with n real submissions (each its own sealed envelope), one sync pass.
    backend = start_dev_backend(tmp / "ours.db", [private])
    cfg = with_destinations(config, {"*": {"url": backend.url}})
    outbox = open_outbox(cfg)
    destination = cfg.destination("x")
    payloads = [sample_payload(f"D{i:07d}") for i in range(n)]
    bodies = []
    conn = outbox._conn  # noqa: SLF001 - set-up in one transaction, not measured
    conn.execute("BEGIN")
    now = time.time()
    for i, p in enumerate(payloads):
        rendered, _ = outbox.render(p, destination)
        bodies.append((p["submission_id"], rendered.body))
        outbox._insert((p["submission_id"], p["reference"], "svc", "1", destination.name, "rest", "queued",  # noqa: SLF001
                        0, now, now + i * 1e-6, now, rendered.content_type, rendered.seal), (rendered.body, None))
    conn.execute("COMMIT")
    t0 = time.perf_counter()
    result = Syncer(outbox, cfg, SyncPolicy()).run_once()
    ours = time.perf_counter() - t0
    assert result.delivered == n and result.remaining == 0, result
    outbox.close()
    backend.stop()
    # Baseline: a bare Session posting the same bodies to a fresh dev-backend, no bookkeeping at all.
    backend = start_dev_backend(tmp / "bare.db", [private])
    session = requests.Session()
    t0 = time.perf_counter()
    for sid, body in bodies:
        r = session.post(f"{backend.url}/submissions", data=body, timeout=(5, 30),
                         headers={"Idempotency-Key": sid, "Content-Type": "application/json"})
        assert r.status_code == 201
    bare = time.perf_counter() - t0
    backend.stop()
    return n / ours, n / bare


def startup_bench(tmp: Path, rows: int, repeats: int = 15) -> tuple[float, float]:
    def measure(config) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            outbox = open_outbox(config)
            times.append(time.perf_counter() - t0)
            outbox.close()
        return statistics.median(times)

    empty_cfg, _ = make_queue_config(tmp / "empty")
    open_outbox(empty_cfg).close()
    full_cfg, _ = make_queue_config(tmp / "full")
    outbox = open_outbox(full_cfg)
    bulk_fill(outbox, full_cfg, rows, sample_payload("FILL0000"))
    outbox.close()
    measure(empty_cfg), measure(full_cfg)  # warm the page cache for both
    return measure(full_cfg), measure(empty_cfg)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    n_enqueue = 200 if args.quick else 1000
    n_drain = 1000 if args.quick else 10_000
    n_rows = 10_000 if args.quick else 100_000
    # Next to the repository, not /tmp: a tmpfs /tmp would make fsync free and the figures meaningless.
    tmp = Path(tempfile.mkdtemp(prefix="ponte-bench-", dir=Path(__file__).resolve().parent))
    try:
        payloads = [sample_payload(f"E{i:07d}") for i in range(n_enqueue)]
        ours, raw, pq = enqueue_bench(tmp / "enqueue", payloads)
        print(f"enqueue ({n_enqueue} durable, one transaction each)")
        print(f"  outbox           {ours:8.0f} /s")
        print(f"  raw sqlite3      {raw:8.0f} /s   ratio {ours / raw:5.2f}x  (goal >= 0.8x)")
        print(f"  persist-queue    {pq:8.0f} /s   ratio {ours / pq:5.2f}x  (goal >= 2x)")
        sys.stdout.flush()
        d_ours, d_bare = drain_bench(tmp / "drain", n_drain)
        print(f"drain {n_drain} to the dev-backend over loopback")
        print(f"  sync pass        {d_ours:8.0f} /s")
        print(f"  bare Session     {d_bare:8.0f} /s   ratio {d_ours / d_bare:5.2f}x  (goal >= 0.5x)")
        sys.stdout.flush()
        t_full, t_empty = startup_bench(tmp / "startup", n_rows)
        print("start-up (open_outbox, median)")
        print(f"  {n_rows} rows     {t_full * 1000:8.2f} ms")
        print(f"  empty            {t_empty * 1000:8.2f} ms   ratio {t_full / t_empty:5.2f}x  (goal <= 1.2x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
