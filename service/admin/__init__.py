"""Administration: create, change and delete the office's data, each change audited.

These functions are what the JSON API (``service/api``) and the admin pages call. They
take a session and the actor's name, validate references, write the audit entry in the
same transaction and leave committing to the caller (see ``common.committed``).
"""
