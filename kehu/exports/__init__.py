"""Every file Kehu hands out of its data — customers, orders, value lists,
survey results — is written here, once.

- :mod:`kehu.exports.writers`: the CSV and .xlsx writers and the HTTP
  download. Text cells that a spreadsheet would run as a formula are
  neutralised (OWASP "CSV injection"); numbers stay numbers.
- :mod:`kehu.exports.audit`: the audit record of an export (who, when, which
  export with which filters, how many rows).
- :data:`kehu.exports.registry.EXPORTS`: the list of every export, which the
  tests walk so that a new export cannot skip either.
"""
