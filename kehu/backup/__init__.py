"""Backups of a Kehu installation (帐套备份 / 还原): the database, the uploaded
files and the settings under ``var/`` in one archive with a manifest."""
