"""Ponte's offline queue: a sealed SQLite outbox and the sync worker that empties it.

    from offline_queue import open_outbox, QueueWriteError
    outbox = open_outbox(config)
    outbox.enqueue(payload, destination)

No Qt widgets here: the CLI and the UI both drive it.
"""
from offline_queue.outbox import (STATES, Outbox, OutboxHealth, PayloadUnreadable, QueueError, QueueItem, QueuePage,
                                  QueueProblem, QueueWriteError, open_outbox)

__all__ = ["open_outbox", "Outbox", "OutboxHealth", "QueueError", "QueueWriteError", "QueueItem", "QueuePage",
           "QueueProblem", "PayloadUnreadable", "STATES"]
