"""The full-text index over ``kb_article.search_text``, per database
(kehu/kb/search_schema.py): PostgreSQL a generated tsvector column with a GIN
index, SQLite an FTS5 table kept by triggers."""

from django.db import migrations


def create(apps, schema_editor):
    from kehu.kb import search_schema

    search_schema.ensure(schema_editor.connection)


def drop(apps, schema_editor):
    from kehu.kb import search_schema

    search_schema.drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
