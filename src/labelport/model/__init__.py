"""Canonical types shared by every layer. Imports nothing else of labelport."""
