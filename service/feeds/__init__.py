"""iCalendar feeds: one per person and one per department, at ``/calendar/<token>.ics``.

``content`` loads what a feed shows, ``series`` turns a schedule's expansion into one
RRULE master plus RECURRENCE-ID overrides, ``render`` writes the iCalendar bytes,
``validators`` computes ETag and Last-Modified from row versions without rendering,
``tokens`` issues and looks up the secret feed tokens, ``routes`` serves them, and
``polls`` answers the 304s of feeds a process already knows, in front of Flask.
"""
