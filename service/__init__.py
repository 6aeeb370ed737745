"""Pufa: schedules and SMS reminders for a township legal-affairs office."""
