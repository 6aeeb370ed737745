"""The feed's fast paths: everything that answers or writes a feed without the slow,
obvious way, and so must be kept in step with it.

- ``polls``: 304s answered in front of Flask, from what the route remembered (``Known``).
- ``cache``: the per-process LRU maps that keep rendered feeds, schedule blocks and
  ``Known`` entries.
- ``blocks``: the key under which a schedule's serialised VEVENTs are shared by feeds.
- ``ical_writer``: ``Component.to_ical()``'s exact bytes, for a fraction of its CPU.
- ``vevent``: a VEVENT as plain values (``VEvent``), written straight to the bytes
  icalendar's ``Event.to_ical()`` gives, each distinct line once.

What must change together:

1. ``RENDER_VERSION`` whenever the bytes of a feed can change for the same rows: an
   edit to ``render``, ``series``, ``texts``, these modules or the expansion that
   changes output, or an icalendar upgrade that writes differently. It is part of
   the ETag (``validators.FORMAT``), so clients holding the old output are not told
   "304, unchanged", and of every block key. ``tests/test_feed_render_version.py``
   pins a fixed feed's bytes and the rendering code's fingerprint under it: change
   either without bumping it and that test fails, saying what to do.
2. ``blocks.block_key`` names everything ``render._EventWriter`` and
   ``series.plan_series`` read. A new input to a schedule's events goes into the key,
   or two feeds that differ in it share one block.
3. ``validators`` aggregates every row ``content.load_content`` reads, and
   ``models.changes`` marks writes to those tables. A new table or column that a feed
   shows goes into both, or the ETag, the rendered-feed cache and ``polls`` keep
   serving the old feed.
4. ``ical_writer`` and ``vevent`` write what icalendar itself would write:
   ``tests/feeds/test_writer.py``, ``tests/feeds/test_vevent.py`` and the
   byte-for-byte test of ``tests/feeds/test_content.py`` compare them with icalendar's
   own serialisation.
5. ``polls`` answers a 304 exactly as ``routes`` does: both take the headers from the
   same ``Known``, which only the route builds.
"""

from __future__ import annotations

# Part of the ETag and of the block keys: see point 1 above.
RENDER_VERSION = 4
