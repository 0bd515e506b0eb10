"""Offline queue benchmarks: one run, each figure beside a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_queue.py [--quick] [--skip-drain]

1. Send: enqueue latency p50/p99 over 1,000 submissions vs the floor (one transaction
   inserting the same sealed bytes, WAL + synchronous=FULL)                        goal p50, p99 <= 1.2x
2. enqueue throughput vs raw sqlite3 (the same floor)                              goal >= 0.9x
3. fsyncs and WAL frames per enqueue vs the floor (strace -f -c; skipped without strace)
4. draining a 10,000 backlog to the dev-backend vs a bare requests.Session         goal >= 0.5x
5. outbox open with 100,000 rows vs an empty queue, 5 runs (spread reported)      goal <= 1.2x
6. status and list with 100,000 rows vs 1,000 (library calls and the commands)    goal <= 1.5x
7. persist-queue SQLiteAckQueue, if installed                                      goal >= 2x
Times are wall-clock on this machine; only the ratios are meant to be compared.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from offline_queue import open_outbox  # noqa: E402
from offline_queue.devbackend import start_dev_backend  # noqa: E402
from offline_queue.outbox import Outbox, scan_wal  # noqa: E402
from offline_queue.sync import SyncPolicy, Syncer  # noqa: E402
from tests.queue_fixtures import make_queue_config, sample_payload, with_destinations  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Floor:
    """The floor of a durable enqueue: one transaction inserting the already sealed bytes (no rendering, no
    sealing, no bookkeeping) into a table with the same durability (WAL, synchronous=FULL)."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS q (id TEXT PRIMARY KEY, state TEXT, created_at REAL, body BLOB)")
        self.conn.execute("CREATE INDEX IF NOT EXISTS q_state ON q(state)")

    def put(self, sid: str, body: bytes) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO q VALUES (?,?,?,?)", (sid, "queued", time.time(), body))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def quiet_outbox(config) -> Outbox:
    """The outbox as open_outbox makes it, without the idle checkpoint (so a checkpoint between rounds does not
    land in one side's timing)."""
    keys = open_outbox(config)
    outbox = Outbox(config.queue_path, keys._public_key_for, keys._device_keys,  # noqa: SLF001
                    idle_checkpoint_seconds=0)
    keys.close()
    return outbox


def enqueue_bench(tmp: Path, payloads: list[dict], rounds: int = 10) -> dict:
    """Per-submission latency of the outbox's enqueue and of the floor, interleaved in rounds so that the disk's
    fsync latency drifting during the run hits both alike."""
    config, _ = make_queue_config(tmp / "ours")
    outbox = quiet_outbox(config)
    destination = config.destination("x")
    outbox.enqueue(sample_payload("WARMUP01"), destination)  # keys loaded, file created
    rendered = [(p["submission_id"], *outbox.render(p, destination)) for p in payloads]
    bodies = [(sid, r.body) for sid, r, _ in rendered]
    # The outbox's own transaction on bytes sealed beforehand: what the storage adds, without the sealing.
    store_cfg, _ = make_queue_config(tmp / "store")
    store = quiet_outbox(store_cfg)
    store.enqueue(sample_payload("WARMUP01"), destination)
    now = time.time()
    rows = [((sid, f"S{i:07d}", "svc", "1", destination.name, destination.kind, "queued", 0, now, now, now,
              r.content_type, r.seal), (r.body, sealed, r.ack_key)) for i, (sid, r, sealed) in enumerate(rendered)]
    floor = Floor(tmp / "floor.db")
    floor.put("warm-up", b"x")
    times: dict[str, list[float]] = {"ours": [], "store": [], "floor": []}
    size = len(payloads) // rounds
    for r in range(rounds):
        chunk = slice(r * size, (r + 1) * size)
        for p in payloads[chunk]:
            t0 = time.perf_counter()
            outbox.enqueue(p, destination)
            times["ours"].append(time.perf_counter() - t0)
        for row, body_row in rows[chunk]:
            t0 = time.perf_counter()
            store._run(lambda c, row=row, body_row=body_row: store._insert(row, body_row), write=True)  # noqa: SLF001
            times["store"].append(time.perf_counter() - t0)
        for sid, body in bodies[chunk]:
            t0 = time.perf_counter()
            floor.put(sid, body)
            times["floor"].append(time.perf_counter() - t0)
    outbox.close()
    store.close()
    floor.close()
    return times


FSYNC_CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from benchmarks.bench_queue import Floor, quiet_outbox
    from tests.queue_fixtures import make_queue_config, sample_payload
    tmp, which, n = Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    config, _ = make_queue_config(tmp)
    outbox = quiet_outbox(config)
    destination = config.destination("x")
    outbox.enqueue(sample_payload("WARMUP01"), destination)
    payloads = [sample_payload(f"F{i:07d}") for i in range(n)]
    if which == "ours":
        for p in payloads:
            outbox.enqueue(p, destination)
    else:
        bodies = [(p["submission_id"], outbox.render(p, destination)[0].body) for p in payloads]
        floor = Floor(tmp / "floor.db")
        floor.put("warm-up", b"x")
        for sid, body in bodies:
            floor.put(sid, body)
        floor.close()
    outbox.close()
""")


def fsyncs(tmp: Path, which: str, n: int) -> int | None:
    """fsync + fdatasync calls made by a process that opens a queue and does n enqueues (strace -f -c)."""
    work = Path(tempfile.mkdtemp(dir=tmp))
    out = work / "strace.txt"
    result = subprocess.run(["strace", "-f", "-c", "-o", str(out), "-e", "trace=fsync,fdatasync",
                             sys.executable, "-c", FSYNC_CHILD, str(ROOT), str(work), which, str(n)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        return None
    total = 0
    for line in out.read_text().splitlines():
        parts = line.split()
        if parts and parts[-1] in ("fsync", "fdatasync"):
            total += int(parts[3])
    return total


def wal_frames_per_enqueue(tmp: Path, n: int = 100) -> tuple[float, float]:
    """WAL frames (pages written) per enqueue: the outbox and the floor, from the WAL files' frame headers."""
    config, _ = make_queue_config(tmp / "frames")
    outbox = quiet_outbox(config)
    destination = config.destination("x")
    outbox.enqueue(sample_payload("WARMUP01"), destination)
    outbox.checkpoint()
    payloads = [sample_payload(f"P{i:07d}") for i in range(n)]
    for p in payloads:
        outbox.enqueue(p, destination)
    ours = scan_wal(Path(str(config.queue_path) + "-wal"))
    floor = Floor(tmp / "frames-floor.db")
    floor.put("warm-up", b"x")
    floor.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for p in payloads:
        floor.put(p["submission_id"], outbox.render(p, destination)[0].body)
    theirs = scan_wal(tmp / "frames-floor.db-wal")
    outbox.close()
    floor.close()
    return ours.frames / n, theirs.frames / n


def bulk_fill(outbox: Outbox, config, n: int, body_source: dict) -> None:
    """Fill a queue quickly (one transaction) with real rendered rows: set-up only, not measured. Most rows are
    delivered receipts, as on a kiosk after months; a few wait, a few need a person."""
    destination = config.destination("x")
    rendered, payload_sealed = outbox.render(body_source, destination)
    now = time.time()
    conn = outbox._conn  # noqa: SLF001 - benchmark set-up
    conn.execute("BEGIN")
    for i in range(n):
        sid = f"{i:08d}-0000-4000-8000-000000000000"
        outbox._insert((sid, f"B{i:07d}", "svc", "1", destination.name, destination.kind, "queued", 0,  # noqa: SLF001
                        now, now + i * 1e-6, now, rendered.content_type, rendered.seal),
                       (rendered.body, payload_sealed, rendered.ack_key))
    conn.execute("UPDATE submissions SET state='delivered', delivered_at=? WHERE seq % 50 NOT IN (1, 2)", (now,))
    conn.execute("UPDATE submissions SET state='dead', last_error='HTTP 422' WHERE seq % 50 = 2")
    conn.execute("DELETE FROM bodies WHERE seq IN (SELECT seq FROM submissions WHERE state='delivered')")
    conn.execute("COMMIT")


def filled_queue(tmp: Path, rows: int):
    config, _ = make_queue_config(tmp)
    outbox = open_outbox(config)
    bulk_fill(outbox, config, rows, sample_payload("FILL0000"))
    outbox.close()
    return config


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
                        0, now, now + i * 1e-6, now, rendered.content_type, rendered.seal),
                       (rendered.body, None, rendered.ack_key))
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


def open_bench(tmp: Path, rows: int, runs: int = 5, repeats: int = 41) -> list[tuple[float, float]]:
    """(full, empty) medians of `repeats` opens each, for each of `runs` runs. Full and empty opens alternate,
    so a burst of load on the machine hits both sides alike."""
    def once(config) -> float:
        t0 = time.perf_counter()
        outbox = open_outbox(config)
        elapsed = time.perf_counter() - t0
        outbox.close()
        return elapsed

    empty_cfg, _ = make_queue_config(tmp / "empty")
    open_outbox(empty_cfg).close()
    full_cfg = filled_queue(tmp / "full", rows)
    for _ in range(5):  # warm the page cache for both
        once(empty_cfg), once(full_cfg)
    results = []
    for _ in range(runs):
        full, empty = [], []
        for _ in range(repeats):
            full.append(once(full_cfg))
            empty.append(once(empty_cfg))
        results.append((statistics.median(full), statistics.median(empty)))
    return results


def library_scale(small, large, repeats: int = 30) -> dict[str, tuple[float, float]]:
    """Medians of the outbox's reading calls on a large and a small queue (the queue already open)."""
    calls = {
        "counts()": lambda o: o.counts(),
        "list_page() first": lambda o: o.list_page(limit=100),
        "list_page() last 100": lambda o: o.list_page(o._conn.execute(  # noqa: SLF001
            "SELECT max(seq) - 100 FROM submissions").fetchone()[0], 100),
        "list_page(dead) 10": lambda o: o.list_page(limit=10, states="dead"),
        "list_page(queued,dead) 10": lambda o: o.list_page(limit=10, states=["queued", "dead"]),
    }
    out = {}
    boxes = {name: open_outbox(cfg) for name, cfg in (("large", large), ("small", small))}
    try:
        for label, call in calls.items():
            result = {}
            for name, box in boxes.items():
                call(box)
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    call(box)
                    times.append(time.perf_counter() - t0)
                result[name] = statistics.median(times)
            out[label] = (result["large"], result["small"])
    finally:
        for box in boxes.values():
            box.close()
    return out


def command_scale(tmp: Path, small, large, repeats: int = 7) -> dict[str, tuple[float, float]]:
    """Wall time of `kiosk queue status` and `kiosk queue list --state dead` (whole processes) on both queues;
    and `kiosk queue list` (all rows) up to its first 100 lines."""
    def toml(cfg, name: str) -> Path:
        path = tmp / f"{name}.toml"
        path.write_text(f'[kiosk]\ndata_dir = "{cfg.data_dir}"\n[queue]\npublic_key = "{cfg.raw["queue"]["public_key"]}"\n')
        return path

    def run(config_path: Path, args: list[str], first_lines: int | None = None) -> float:
        cmd = [sys.executable, "-m", "commands", "--config", str(config_path), *args]
        t0 = time.perf_counter()
        if first_lines is None:
            subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
            return time.perf_counter() - t0
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
        for _ in range(first_lines):
            proc.stdout.readline()
        elapsed = time.perf_counter() - t0
        proc.kill()
        proc.wait()
        return elapsed

    paths = {"large": toml(large, "large"), "small": toml(small, "small")}
    commands = {"queue status": (["queue", "status"], None),
                "queue list --state dead": (["queue", "list", "--state", "dead"], None),
                "queue list (first 100 lines)": (["queue", "list"], 100)}
    out = {}
    for label, (args, lines) in commands.items():
        times: dict[str, list[float]] = {"large": [], "small": []}
        for _ in range(repeats):
            for name in ("large", "small"):
                times[name].append(run(paths[name], args, lines))
        out[label] = (statistics.median(times["large"]), statistics.median(times["small"]))
    return out


def persist_queue_bench(tmp: Path, payloads: list[dict]) -> tuple[float, float] | None:
    try:
        from persistqueue import SQLiteAckQueue
    except ImportError:
        return None
    config, _ = make_queue_config(tmp / "pq-ours")
    outbox = quiet_outbox(config)
    destination = config.destination("x")
    outbox.enqueue(sample_payload("WARMUP01"), destination)
    pq = SQLiteAckQueue(str(tmp / "pq"), auto_commit=True, multithreading=True)
    t0 = time.perf_counter()
    for p in payloads:
        outbox.enqueue(p, destination)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in payloads:
        pq.put(p)
    theirs = time.perf_counter() - t0
    outbox.close()
    return len(payloads) / ours, len(payloads) / theirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--skip-drain", action="store_true", help="leave out the 10,000-row drain")
    args = parser.parse_args()
    n_enqueue = 200 if args.quick else 1000
    n_drain = 1000 if args.quick else 10_000
    n_rows = 10_000 if args.quick else 100_000
    # Next to the repository, not /tmp: a tmpfs /tmp would make fsync free and the figures meaningless.
    tmp = Path(tempfile.mkdtemp(prefix="ponte-bench-", dir=Path(__file__).resolve().parent))
    try:
        payloads = [sample_payload(f"E{i:07d}") for i in range(n_enqueue)]
        t = enqueue_bench(tmp / "enqueue", payloads)
        ours, floor = t["ours"], t["floor"]
        print(f"Send: enqueue, {n_enqueue} durable submissions, one transaction each (ms)")
        print(f"  {'':14} {'p50':>8} {'p99':>8} {'mean':>8}")
        for name, v in (("outbox", ours), ("storage only", t["store"]), ("floor", floor)):
            print(f"  {name:14} {percentile(v, 50) * 1e3:8.3f} {percentile(v, 99) * 1e3:8.3f} "
                  f"{statistics.mean(v) * 1e3:8.3f}")
        print(f"  ratio          {percentile(ours, 50) / percentile(floor, 50):7.2f}x "
              f"{percentile(ours, 99) / percentile(floor, 99):7.2f}x   (goal <= 1.2x)")
        print(f"  throughput     outbox {len(ours) / sum(ours):6.0f}/s, raw sqlite3 {len(floor) / sum(floor):6.0f}/s, "
              f"ratio {sum(floor) / sum(ours):5.2f}x  (goal >= 0.9x); storage only "
              f"{sum(floor) / sum(t['store']):5.2f}x")
        sys.stdout.flush()
        if shutil.which("strace"):
            n = 200
            counts = {w: (fsyncs(tmp, w, n), fsyncs(tmp, w, 0)) for w in ("ours", "floor")}
            per = {w: (a - b) / n for w, (a, b) in counts.items() if a is not None and b is not None}
            if len(per) == 2:
                print(f"  fsync+fdatasync per enqueue: outbox {per['ours']:.2f}, floor {per['floor']:.2f}  "
                      f"(strace -f -c, {n} enqueues minus a run with none)")
        else:
            print("  fsyncs per enqueue: not measured (apt-get install strace)")
        frames = wal_frames_per_enqueue(tmp)
        print(f"  WAL frames (pages written) per enqueue: outbox {frames[0]:.2f}, floor {frames[1]:.2f}")
        sys.stdout.flush()
        if not args.skip_drain:
            d_ours, d_bare = drain_bench(tmp / "drain", n_drain)
            print(f"drain {n_drain} to the dev-backend over loopback")
            print(f"  sync pass        {d_ours:8.0f} /s")
            print(f"  bare Session     {d_bare:8.0f} /s   ratio {d_ours / d_bare:5.2f}x  (goal >= 0.5x)")
            sys.stdout.flush()
        runs = open_bench(tmp / "open", n_rows)
        ratios = [full / empty for full, empty in runs]
        print("outbox open (open_outbox, median of 41 opens per run, full and empty alternating, 5 runs)")
        for i, (full, empty) in enumerate(runs, 1):
            print(f"  run {i}: {n_rows} rows {full * 1e3:6.2f} ms, empty {empty * 1e3:6.2f} ms, ratio {full / empty:5.2f}x")
        print(f"  ratio median {statistics.median(ratios):5.2f}x, spread {min(ratios):.2f}-{max(ratios):.2f}x  "
              "(goal <= 1.2x)")
        sys.stdout.flush()
        small_n = n_rows // 100
        large = filled_queue(tmp / "scale-large", n_rows)
        small = filled_queue(tmp / "scale-small", small_n)
        print(f"scale: {n_rows} rows vs {small_n} rows (median; goal <= 1.5x)")
        for label, (big, little) in library_scale(small, large).items():
            print(f"  {label:30} {big * 1e3:8.3f} ms vs {little * 1e3:8.3f} ms   ratio {big / little:5.2f}x")
        for label, (big, little) in command_scale(tmp, small, large).items():
            print(f"  kiosk {label:24} {big * 1e3:8.1f} ms vs {little * 1e3:8.1f} ms   ratio {big / little:5.2f}x")
        sys.stdout.flush()
        pq = persist_queue_bench(tmp / "pq", payloads[: min(len(payloads), 500)])
        if pq is None:
            print("persist-queue: not installed, left out")
        else:
            print(f"persist-queue SQLiteAckQueue: outbox {pq[0]:.0f}/s vs {pq[1]:.0f}/s, ratio {pq[0] / pq[1]:.2f}x "
                  "(goal >= 2x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
