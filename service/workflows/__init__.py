"""Office workflows on top of the schedules: the lecture rota, study-plan confirmations
and progress, the work ledger (台账) and the study plan's year roll-over.

Every function takes a ``session`` and ``now`` and flushes, never commits: the caller
(an API view, a web page, a CLI command) owns the transaction, so a change, its audit
entry and its re-planned reminders are committed together or not at all.
"""
