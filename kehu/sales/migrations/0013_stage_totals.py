"""The kept column totals of the board (kehu.sales.models.StageTotal): on PostgreSQL,
triggers on sales_opportunity keep one row per stage (count, Σ amount, Σ amount ×
probability) as opportunities are inserted, deleted or changed, and the rows are first
filled from the opportunities already there. SQLite leaves the table empty (the board
adds its totals up there)."""

import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models


TRIGGERS = """
CREATE OR REPLACE FUNCTION sales_stage_total_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE sales_stagetotal
           SET n = n - 1, amount = amount - OLD.amount, weighted_pct = weighted_pct - OLD.amount * OLD.probability
         WHERE stage_id = OLD.stage_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO sales_stagetotal (stage_id, n, amount, weighted_pct)
        VALUES (NEW.stage_id, 1, NEW.amount, NEW.amount * NEW.probability)
        ON CONFLICT (stage_id) DO UPDATE
           SET n = sales_stagetotal.n + 1, amount = sales_stagetotal.amount + EXCLUDED.amount,
               weighted_pct = sales_stagetotal.weighted_pct + EXCLUDED.weighted_pct;
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS sales_stage_total_write ON sales_opportunity;
CREATE TRIGGER sales_stage_total_write AFTER INSERT OR DELETE ON sales_opportunity
    FOR EACH ROW EXECUTE FUNCTION sales_stage_total_apply();
DROP TRIGGER IF EXISTS sales_stage_total_change ON sales_opportunity;
CREATE TRIGGER sales_stage_total_change AFTER UPDATE OF stage_id, amount, probability ON sales_opportunity
    FOR EACH ROW
    WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id OR OLD.amount IS DISTINCT FROM NEW.amount
          OR OLD.probability IS DISTINCT FROM NEW.probability)
    EXECUTE FUNCTION sales_stage_total_apply();
DELETE FROM sales_stagetotal;
INSERT INTO sales_stagetotal (stage_id, n, amount, weighted_pct)
SELECT stage_id, count(*), coalesce(sum(amount), 0), coalesce(sum(amount * probability), 0)
  FROM sales_opportunity GROUP BY stage_id;
"""

DROP = """
DROP TRIGGER IF EXISTS sales_stage_total_write ON sales_opportunity;
DROP TRIGGER IF EXISTS sales_stage_total_change ON sales_opportunity;
DROP FUNCTION IF EXISTS sales_stage_total_apply();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0012_quotes'),
    ]

    operations = [
        migrations.CreateModel(
            name='StageTotal',
            fields=[
                ('stage', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='sales.stage')),
                ('n', models.BigIntegerField(default=0)),
                ('amount', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=24)),
                ('weighted_pct', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=28)),
            ],
            options={
                'verbose_name': 'stage total',
                'verbose_name_plural': 'stage totals',
            },
        ),
        migrations.RunPython(_on_postgresql(TRIGGERS), _on_postgresql(DROP)),
    ]
