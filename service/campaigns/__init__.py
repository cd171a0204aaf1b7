"""Campaigns: their schedules, their lifecycle, and the messages they plan."""
