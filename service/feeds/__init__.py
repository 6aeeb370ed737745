"""iCalendar feeds: one per person and one per department, at ``/calendar/<token>.ics``.

``content`` loads what a feed shows, ``series`` turns a schedule's expansion into one
RRULE master plus RECURRENCE-ID overrides, ``render`` writes the iCalendar bytes,
``validators`` computes ETag and Last-Modified from row versions without rendering,
``tokens`` issues and looks up the secret feed tokens, and ``routes`` serves them.
``fast`` holds the fast paths (304s in front of Flask, caches, a quicker iCalendar
writer) and the one note on what must change with them.
"""
