"""Omnipresence: one inventory, one client record and one conversation history for every channel."""

__version__ = "0.1.0"
