"""Campaigns: their schedules, their lifecycle, the messages they plan, and the audit of every change."""
