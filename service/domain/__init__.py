"""The domain layer: every change to the office's data, each one audited, and the
request models the JSON API and the console pages both validate with.

The functions take a session and the actor's name, validate references, write the audit
entry in the same transaction and leave committing to the caller, which wraps the call
in ``common.committed`` (the one transaction style of a request; see there).
"""
