"""Test helpers shared by several apps (browser tests: see browser.py)."""
