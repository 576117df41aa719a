"""The care calendar (客户关怀): pure date rules in dates.py; the app comes later."""
