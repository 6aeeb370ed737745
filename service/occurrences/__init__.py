"""Occurrences: one pure expansion feeds both the calendar feeds and the SMS plan."""
