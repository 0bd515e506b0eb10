"""The sync worker: claims due submissions, sends them, records what each answer means.

At-least-once delivery; the idempotency key (submission id) lets the backend
drop duplicates, so the backend sees each submission exactly once.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from offline_queue.connectors import DEAD, DELIVERED, Outcome
from offline_queue.connectors.http import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, clean_reason
from offline_queue.connectors.rest import MAX_BATCH
from offline_queue.outbox import Outbox, QueueError

if TYPE_CHECKING:
    from offline_queue.devbackend import DevBackend

log = logging.getLogger("offline_queue.sync")

# Destination-level blocking: these errors say "the backend is unreachable, out, refuses the kiosk's
# credentials, or is not the backend", so trying the next submission at once would only repeat the failure
# (and hammer a broken TLS setup). "unknown" (a connection cut after the request went out) is about one
# submission: it blocks only when it repeats UNKNOWN_STREAK times in a row.
_BLOCKING_KINDS = frozenset({"network", "tls", "config", "auth", "unverified"})
UNKNOWN_STREAK = 3
# A submission carrying more than this (body and files) is large: about 16 s at the 128 kbit/s the upload
# deadline assumes (connectors/http.py UPLOAD_BYTES_PER_SECOND). Small before large, see Syncer.run_once.
LARGE_BYTES = 256 * 1024
# While only large uploads are in flight, the pass looks this often for submissions queued since it began.
RECLAIM_SECONDS = 0.5


def size_of(claimed) -> int:
    """Bytes one submission puts on the wire: its body and its files."""
    return len(claimed.body) + sum(len(a.data) for a in getattr(claimed, "attachments", ()))


def is_large(claimed) -> bool:
    return size_of(claimed) > LARGE_BYTES


def next_group(queue: deque, size: int, large_in_flight: int, limit: int, small_only: bool = False) -> list:
    """The next request's submissions from a destination's queue (small ones first, see Syncer.run_once).

    A submission with files goes alone (multipart); several small ones without files share a request where the
    destination has a batch endpoint. Large ones take at most limit - 1 of the destination's slots, so one slot
    keeps small submissions moving while large ones upload; `small_only` takes the first small one whatever
    its place. Empty when only a large one could go and it may not."""
    index = 0
    if is_large(queue[0]) and (small_only or (limit > 1 and large_in_flight >= limit - 1)):
        index = next((i for i, c in enumerate(queue) if not is_large(c)), -1)
        if index < 0:
            return []
    queue.rotate(-index)  # bring the chosen one to the front, keep the others in their order
    group = [queue.popleft()]
    while queue and len(group) < size and not getattr(group[0], "attachments", ()) \
            and not getattr(queue[0], "attachments", ()) and not is_large(queue[0]):
        group.append(queue.popleft())
    queue.rotate(index)
    return group


@dataclass(frozen=True)
class SyncPolicy:
    base_delay: float = 2.0        # first retry within 0..2 s
    max_delay: float = 900.0       # cap of the exponential backoff
    tls_delay: float = 3600.0      # certificate problems need a person: try again hourly at most
    max_retry_after: float = 86400.0  # Retry-After is also capped at max_delay
    batch: int = 50
    timer: float = 60.0            # wake up at least this often
    probe_interval: float = 30.0   # health probe of unreachable destinations
    receipt_days: float = 30.0     # delivered receipts kept this long
    flush_every: int = 50          # delivered marks are written in groups (a crash just resends; dedup)

    @classmethod
    def from_config(cls, config) -> "SyncPolicy":
        q = config.queue  # typed and checked when the configuration was loaded
        return cls(base_delay=q.base_delay, max_delay=q.max_delay, tls_delay=q.tls_delay, timer=q.timer,
                   probe_interval=q.probe_interval, receipt_days=q.receipt_days)


@dataclass(frozen=True)
class SyncResult:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    remaining: int = 0             # queued + sending + failed after the pass
    errors: tuple[str, ...] = ()   # one line per blocked destination, no personal data


def backoff(attempts: int, policy: SyncPolicy, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2^(attempts-1)))."""
    return rng.uniform(0, min(policy.max_delay, policy.base_delay * 2 ** max(0, min(attempts - 1, 30))))


def make_connector(destination):
    if destination.kind == "openrosa":
        from offline_queue.connectors.openrosa import OpenRosaConnector
        return OpenRosaConnector(destination)
    from offline_queue.connectors.rest import RestConnector
    return RestConnector(destination)


class Syncer:
    """One sync pass at a time; no thread of its own (the CLI uses it directly)."""

    def __init__(self, outbox: Outbox, config, policy: SyncPolicy | None = None, rng: random.Random | None = None):
        self.outbox = outbox
        self.config = config
        self.policy = policy or SyncPolicy.from_config(config)
        self.rng = rng or random.Random()
        self._connectors: dict[str, object] = {}
        self.blocked_until: dict[str, float] = {}   # destination name (as stored) -> epoch seconds
        self.block_reason: dict[str, str] = {}
        self.block_kind: dict[str, str] = {}         # "network", "tls", "config" or "retry_after"
        self._stop = threading.Event()

    def connector(self, name: str):
        destination = self.config.destination(name)
        if destination is None:
            return None
        if destination.name not in self._connectors:
            self._connectors[destination.name] = make_connector(destination)
        return self._connectors[destination.name]

    def concurrency(self, name: str) -> int:
        """Requests in flight at once for one destination (its `concurrency` option, default a few)."""
        destination = self.config.destination(name)
        try:
            value = int((destination.options if destination is not None else {}).get("concurrency",
                                                                                       DEFAULT_CONCURRENCY))
        except (TypeError, ValueError):
            value = DEFAULT_CONCURRENCY
        return max(1, min(value, MAX_CONCURRENCY))

    def batch_size(self, name: str) -> int:
        """Submissions per request for a destination with a batch endpoint (its `batch` option; 1 = off)."""
        destination = self.config.destination(name)
        try:
            value = int((destination.options if destination is not None else {}).get("batch", 1))
        except (TypeError, ValueError):
            value = 1
        return max(1, min(value, MAX_BATCH))

    def run_once(self) -> SyncResult:
        """Send everything that is due now, once; failures get their next attempt time.

        Each destination gets up to `concurrency` requests in flight (each carrying up to `batch`
        submissions where the backend has a batch endpoint), but only after one answer of this pass showed
        it takes submissions: the first request goes alone, so an unreachable, misconfigured or refusing
        destination costs one attempt, not one per slot. More rows are claimed while requests are in
        flight; verdicts are written by this thread only.

        Small before large: of the rows claimed together, those of at most LARGE_BYTES go first, so a
        submission with a large attachment does not hold up the small ones due with it (nor open a destination
        alone for a whole upload); rows claimed later still queue behind it, so a large one waits at most for
        the small ones of its own claim and is never starved. Large ones take at most concurrency - 1 slots, and
        while only large ones are in flight one small request may go beside them (even before the destination
        has answered in this pass: an unreachable one then costs two attempts, not one), unless the destination's
        concurrency is 1. Rows queued after the pass began are claimed every RECLAIM_SECONDS while only large
        uploads are in flight (not for a destination that failed in this pass), so a citizen's small submission
        does not wait for another's long upload. Each claimed row is sent once per pass, as before.
        """
        start = time.time()
        tally = {"delivered": 0, "retried": 0, "dead": 0}
        errors: list[str] = []
        pending: list[tuple[str, str | None]] = []
        unresolved: set[str] = set()  # claimed, no verdict yet: released if the pass stops early
        blocked = {d for d, t in self.blocked_until.items() if t > start}
        unknown_streak: dict[str, int] = {}  # destination -> consecutive unknown outcomes in this pass
        opened: set[str] = set()             # destinations that answered properly in this pass
        retried: set[str] = set()            # destinations with a failure in this pass: no late claims for them
        late = False                         # claim rows queued since the pass began (a large upload is long)
        names = list(self.config.destinations) or ["*"]
        claim_limit = max([self.policy.batch] + [self.concurrency(n) * self.batch_size(n) for n in names])
        workers = max(1, min(MAX_CONCURRENCY * 2, sum(self.concurrency(n) for n in names)))
        queues: dict[str, deque] = {}
        running: dict[str, int] = {}
        running_large: dict[str, int] = {}
        in_flight: dict = {}
        exhausted = False
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ponte-send")

        def release(name: str) -> None:
            """A paused destination's claimed rows go back to queued at once (attempt not counted)."""
            ids = [c.item.id for c in queues.pop(name, ())]
            if ids:
                self.outbox.release(ids)
                unresolved.difference_update(ids)

        def launch() -> None:
            for name, queue in queues.items():
                if name in blocked or self._stop.is_set() or not queue:
                    continue
                limit = self.concurrency(name) if name in opened else 1
                connector = self.connector(name)  # created here, not in the pool
                size = self.batch_size(name) if hasattr(connector, "send_batch") else 1
                while queue:
                    flying, large = running.get(name, 0), running_large.get(name, 0)
                    if flying < limit:
                        group = next_group(queue, size, large, limit)
                    elif flying == large <= limit and self.concurrency(name) > 1:  # only uploads: one small beside
                        group = next_group(queue, size, large, limit, small_only=True)
                    else:
                        break
                    if not group:
                        break
                    running[name] = running.get(name, 0) + 1
                    running_large[name] = running_large.get(name, 0) + any(map(is_large, group))
                    in_flight[pool.submit(self._send_group, connector, name, group)] = (name, group)

        try:
            while True:
                waiting = sum(len(q) for n, q in queues.items() if n not in blocked)
                if not exhausted and not self._stop.is_set() and waiting < max(1, claim_limit // 2):
                    # Claim with the pass's start time: what failed in this pass is not retried in it. Late claims
                    # (beside a long upload) take what is due now, but not from a destination that failed.
                    batch = self.outbox.claim(claim_limit, now=time.time(), exclude=blocked | retried) if late \
                        else self.outbox.claim(claim_limit, now=start, exclude=blocked)
                    exhausted = not batch
                    for claimed in sorted(batch, key=is_large):  # stable: by age within small, then large
                        unresolved.add(claimed.item.id)
                        queues.setdefault(claimed.item.destination, deque()).append(claimed)
                launch()
                if not in_flight:
                    if exhausted or self._stop.is_set():
                        break
                    continue  # only paused destinations had rows: claim for the others
                uploading = any(running_large.values()) and not self._stop.is_set()
                done, _ = wait(list(in_flight), timeout=RECLAIM_SECONDS if uploading else None,
                               return_when=FIRST_COMPLETED)
                if not done:  # only a long upload is going on: look for submissions queued meanwhile
                    late, exhausted = True, False
                    continue
                for future in done:
                    name, group = in_flight.pop(future)
                    running[name] -= 1
                    running_large[name] -= any(map(is_large, group))
                    for claimed, outcome in zip(group, future.result()):
                        was_blocked = name in blocked
                        self._record(claimed.item, outcome, tally, pending, blocked, unknown_streak, opened, errors)
                        if outcome.kind not in (DELIVERED, DEAD):
                            retried.add(name)
                        unresolved.discard(claimed.item.id)  # after its verdict is written (or queued for flush)
                        if name in blocked and not was_blocked:
                            release(name)
        finally:
            pool.shutdown(wait=True)  # requests in flight end within their deadline; their rows are released
            if pending:
                self.outbox.mark_delivered(pending)
            if unresolved:  # paused, stopping, or an exception mid-pass: nothing stays in 'sending'
                try:
                    self.outbox.release(sorted(unresolved))
                except Exception:  # noqa: BLE001 - the original error matters more
                    log.exception("could not release claimed submissions")
        for name in list(self.blocked_until):
            if name not in blocked:
                self.blocked_until.pop(name, None)
        return SyncResult(tally["delivered"], tally["retried"], tally["dead"], self.outbox.pending(), tuple(errors))

    def _record(self, item, outcome: Outcome, tally: dict, pending: list, blocked: set, unknown_streak: dict,
                opened: set, errors: list) -> None:
        """Write one verdict (delivered marks are flushed in groups) and pause the destination if it says so."""
        # Servers' words were cleaned by the connector; the whole reason is cleaned again here, before it is
        # stored or logged: it may echo personal data.
        reason = clean_reason(outcome.reason)
        streak = unknown_streak[item.destination] = \
            unknown_streak.get(item.destination, 0) + 1 if outcome.error_kind == "unknown" else 0
        if outcome.kind == DELIVERED:
            opened.add(item.destination)
            pending.append((item.id, outcome.remote_ref))
            tally["delivered"] += 1
            if len(pending) >= self.policy.flush_every:
                self.outbox.mark_delivered(pending)
                pending.clear()
        elif outcome.kind == DEAD:
            opened.add(item.destination)  # the backend answered: it takes submissions, this one it refused
            self.outbox.mark_dead(item.id, reason)
            # No reference number in the journal: it is the citizen's handle on the case. The mediator
            # finds the row with `kiosk queue list --state dead`.
            log.warning("a submission to %s was set aside (kiosk queue list --state dead): %s",
                        item.destination, reason)
            tally["dead"] += 1
        else:
            tally["retried"] += 1
            next_at = self._next_attempt(item.attempts, outcome)
            self.outbox.mark_failed(item.id, reason, next_at, outcome.error_kind)
            if outcome.error_kind in _BLOCKING_KINDS or outcome.retry_after is not None \
                    or streak >= UNKNOWN_STREAK:
                opened.discard(item.destination)
                if item.destination not in blocked:
                    blocked.add(item.destination)
                    self.blocked_until[item.destination] = next_at
                    self.block_reason[item.destination] = reason
                    # Only a network pause may be cut short by a probe; Retry-After is a promise.
                    self.block_kind[item.destination] = \
                        "retry_after" if outcome.retry_after is not None else \
                        "network" if outcome.error_kind == "unknown" else outcome.error_kind
                    errors.append(f"{item.destination}: {reason}")
                    log.warning("destination %s paused: %s", item.destination, reason)
            elif outcome.error_kind != "unknown":
                opened.add(item.destination)  # e.g. a 500 or a 409 for this one: the backend is there

    @staticmethod
    def _send_group(connector, name: str, group: list) -> list[Outcome]:
        """One request (in a pool thread): one submission, or several through a batch endpoint. One outcome
        per submission, in order; never raises."""
        if connector is None:
            return [Outcome("retry", f"no destination named '{name}' in the configuration", error_kind="config")
                    ] * len(group)
        try:
            if len(group) > 1 and not any(getattr(c, "attachments", ()) for c in group):
                return connector.send_batch([(c.item.id, c.body, c.content_type, getattr(c, "ack_key", None))
                                             for c in group])
            outcomes = []
            for claimed in group:  # one, or a group with attachments: multipart, one request each
                ack_key = getattr(claimed, "ack_key", None)
                extra = {"ack_key": ack_key} if ack_key is not None else {}
                if getattr(claimed, "attachments", ()):
                    extra["attachments"] = claimed.attachments
                outcomes.append(connector.send(claimed.item.id, claimed.body, claimed.content_type, **extra))
            return outcomes
        except Exception as exc:  # noqa: BLE001 - a connector bug must not lose the verdict of the others
            log.exception("connector %s failed", name)
            return [Outcome("retry", f"internal error while sending ({type(exc).__name__})",
                            error_kind="network")] * len(group)

    def _next_attempt(self, attempts: int, outcome: Outcome) -> float:
        now = time.time()
        if outcome.retry_after is not None:
            # Honour the server's Retry-After up to max_delay (999999999 or inf must not park the queue for
            # years); a little jitter so kiosks do not come back in step.
            wait = min(outcome.retry_after, self.policy.max_delay, self.policy.max_retry_after)
            return now + max(0.0, wait) + self.rng.uniform(0, 1)
        if outcome.error_kind == "tls":
            return now + self.policy.tls_delay * self.rng.uniform(0.9, 1.1)
        return now + backoff(attempts, self.policy, self.rng)

    def probe(self) -> None:
        """Probe destinations paused by network errors; one that answers again is retried at once."""
        for name in [n for n, t in self.blocked_until.items()
                     if t > time.time() and self.block_kind.get(n) == "network"]:
            connector = self.connector(name)
            if connector is not None and connector.probe():
                log.info("destination %s reachable again", name)
                self.blocked_until.pop(name, None)
                self.outbox.lift_network_failures(name)

    def stop(self) -> None:
        self._stop.set()


class SyncWorker(threading.Thread):
    """The sync loop in its own thread: woken on enqueue, on connectivity changes and on a timer."""

    def __init__(self, outbox: Outbox, config, policy: SyncPolicy | None = None):
        super().__init__(name="ponte-sync", daemon=True)
        self.syncer = Syncer(outbox, config, policy)
        self.outbox = outbox
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._back_online = threading.Event()
        self.demo_backend: DevBackend | None = None  # start_sync's local backend (demo), stopped with the worker
        self.connectivity: object | None = None      # Qt's network watcher, when a QCoreApplication exists
        self.last_result: SyncResult | None = None
        self.last_success: float | None = None
        outbox.add_listener(self.wake)

    def wake(self) -> None:
        self._wake.set()

    def connectivity_changed(self, online: bool = True) -> None:
        """Network came back (QNetworkInformation, or the OS): retry network failures now, not after backoff.

        Safe to call from any thread (the Qt one included): it only flags and wakes the worker."""
        if online:
            self._back_online.set()
        self.wake()

    def _handle_back_online(self) -> None:
        if not self._back_online.is_set():
            return
        self._back_online.clear()
        for name in list(self.syncer.blocked_until):
            if self.syncer.block_kind.get(name) == "network":  # not Retry-After, TLS or configuration
                self.syncer.blocked_until.pop(name, None)
                self.outbox.lift_network_failures(name)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self.demo_backend is not None:
            self.demo_backend.stop()
            self.demo_backend = None
        self.syncer.stop()
        self._wake.set()
        self.outbox.remove_listener(self.wake)
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def _sleep_time(self) -> float:
        policy = self.syncer.policy
        due = self.outbox.next_due()
        wait = policy.timer if due is None else max(0.0, due - time.time())
        if any(t > time.time() for t in self.syncer.blocked_until.values()):
            wait = min(wait, policy.probe_interval)
        return min(wait, policy.timer)

    def run(self) -> None:
        last_purge = 0.0
        while not self._stopping.is_set():
            try:
                self._handle_back_online()
                self.syncer.probe()
                result = self.syncer.run_once()
                self.last_result = result
                if result.delivered:
                    self.last_success = time.time()
                if time.time() - last_purge > 3600:
                    self.outbox.purge_receipts(self.syncer.policy.receipt_days * 86400)
                    last_purge = time.time()
            except QueueError as exc:
                log.error("sync pass failed: %s", exc)
            except Exception:  # noqa: BLE001 - the worker must survive anything and try again later
                log.exception("sync pass failed")
            if self._stopping.is_set():
                break
            self._wake.wait(self._sleep_time())
            self._wake.clear()


def start_sync(outbox: Outbox, config, *, demo_backend: bool = True, policy: SyncPolicy | None = None) -> SyncWorker:
    """What the app calls once at start-up with its one Outbox: the worker thread, Qt connectivity wake-ups
    when a QCoreApplication exists, and (demo) a local dev-backend when the config points at 127.0.0.1:8765
    and nothing listens there. worker.stop() stops all of it."""
    from offline_queue.connectivity import watch_connectivity
    worker = SyncWorker(outbox, config, policy)
    if demo_backend:
        from offline_queue.devbackend import ensure_demo_backend
        worker.demo_backend = ensure_demo_backend(config)
    worker.connectivity = watch_connectivity(worker)
    worker.start()
    return worker

