"""The database cache's table (``kehu_cache``), the default cache when
``KEHU_CACHE`` is not set: made here so that ``kehu migrate`` (and so
``kehu demo`` and the test databases) always has it, whatever the cache
setting at the time — ``createcachetable`` would only make the tables of the
caches configured when it runs."""

from django.db import migrations

CACHE_TABLE = "kehu_cache"


def create(apps, schema_editor):
    from django.core.management.commands.createcachetable import Command

    command = Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("runtime", "0001_rate_count")]

    operations = [migrations.RunPython(create, drop)]
