"""The care calendar (客户关怀, issue 16 item 7): rules, moments, the daily run (services.care_run); pure date rules in dates.py."""
