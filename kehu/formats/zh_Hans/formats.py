"""Simplified Chinese as Chinese business software writes it.

Django's zh_Hans formats print no thousands separator (grouping by four
digits, 万, with an empty separator) and long dates (2025年3月1日) even in
tables. Invoices, statements and ERP screens in China group amounts by
thousands with a comma (¥1,234,567.50) and show dates in tables as
2025-03-01 (GB/T 7408); the long form stays for prose (DATE_FORMAT).
"""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
