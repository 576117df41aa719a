"""Kehu's date and number formats per language (``FORMAT_MODULE_PATH``).

Only what differs from Django's own locale formats is set here; everything
else falls back to Django's.
"""
