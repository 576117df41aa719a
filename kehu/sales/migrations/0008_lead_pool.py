# The lead pool (公海): its settings and the history of owners (issue 15, item 3).

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_customer_custom'),
        ('org', '0001_initial'),
        ('sales', '0007_funnel_settings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PoolSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('claim_limit', models.PositiveIntegerField(default=50, help_text='The most customers at the reserve stage (储备) one salesperson may own; a claim beyond it is refused. 0: no limit.', validators=[django.core.validators.MaxValueValidator(100000)], verbose_name='leads a salesperson may hold')),
                ('recycle_days_gold', models.PositiveIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(3650)], verbose_name='gold: back to the pool after (days)')),
                ('recycle_days_silver', models.PositiveIntegerField(default=180, validators=[django.core.validators.MaxValueValidator(3650)], verbose_name='silver: back to the pool after (days)')),
                ('recycle_days_bronze', models.PositiveIntegerField(default=90, validators=[django.core.validators.MaxValueValidator(3650)], verbose_name='bronze: back to the pool after (days)')),
                ('recycle_days_do_not_serve', models.PositiveIntegerField(default=60, validators=[django.core.validators.MaxValueValidator(3650)], verbose_name='do not serve: back to the pool after (days)')),
                ('recycle_days_none', models.PositiveIntegerField(default=30, help_text='For customers without a value tier, which is every lead. 0: never.', validators=[django.core.validators.MaxValueValidator(3650)], verbose_name='no tier (leads): back to the pool after (days)')),
                ('reminder_days', models.PositiveIntegerField(default=7, help_text='The owner gets a task this many days before a customer goes back to the pool.', validators=[django.core.validators.MaxValueValidator(365)], verbose_name='remind the owner (days before)')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'lead pool settings',
                'verbose_name_plural': 'lead pool settings',
            },
        ),
        migrations.CreateModel(
            name='OwnershipChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(verbose_name='at')),
                ('reason', models.CharField(choices=[('claim', 'Claimed from the pool'), ('release', 'Returned to the pool'), ('recycle', 'Recycled to the pool'), ('assign', 'Assigned by a manager'), ('convert', 'Converted')], max_length=10, verbose_name='reason')),
                ('note', models.CharField(blank=True, default='', max_length=300, verbose_name='note')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ownership_changes', to='customers.customer', verbose_name='customer')),
                ('from_owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='from owner')),
                ('from_team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.team', verbose_name='from team')),
                ('to_owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='to owner')),
                ('to_team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.team', verbose_name='to team')),
            ],
            options={
                'verbose_name': 'ownership change',
                'verbose_name_plural': 'ownership changes',
                'ordering': ['customer', '-at', '-id'],
                'indexes': [models.Index(fields=['customer', '-at'], name='own_customer_time')],
            },
        ),
    ]
