# The programme's models moved here from analytics with their tables (db_table keeps the names).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('experiments', '0009_hypothesis_triaged_at'),
        # The tables were created by analytics; this app takes over their models, not their rows.
        ('analytics', '0010_event_experiment_id'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='InsightReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=32, unique=True)),
                ('data', models.JSONField()),
                ('computed_at', models.DateTimeField()),
                ('seconds', models.FloatField(help_text='How long the computation took.')),
            ],
            options={
                'db_table': 'analytics_insightreport',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='PortfolioRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('computed_on', models.DateField()),
                ('dimension', models.CharField(choices=[('programme', 'Whole programme'), ('objective', 'Objective'), ('segment', 'Segment'), ('channel', 'Channel'), ('team', 'Team'), ('operator', 'Operator')], max_length=16)),
                ('key', models.CharField(help_text="The slice's id, or its code for channels.", max_length=64)),
                ('label', models.CharField(max_length=200)),
                ('data', models.JSONField(help_text='Counts by status, win rate, velocity, cycle times, impact.')),
                ('computed_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'db_table': 'analytics_portfoliorollup',
                'ordering': ['-computed_on', 'dimension', 'label'],
                'constraints': [models.UniqueConstraint(fields=('computed_on', 'dimension', 'key'), name='rollup_one_per_day')],
            },
        ),
        migrations.CreateModel(
            name='ShipRecheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('after_days', models.PositiveSmallIntegerField(help_text='Days after the decision: 30 or 90.')),
                ('shipped_on', models.DateField(help_text='The day of the scale decision.')),
                ('checked_on', models.DateField()),
                ('estimated_lift', models.FloatField(help_text='The lift the decision was taken on.')),
                ('lift', models.FloatField(blank=True, help_text='The lift measured since.', null=True)),
                ('lift_ci_low', models.FloatField(blank=True, null=True)),
                ('lift_ci_high', models.FloatField(blank=True, null=True)),
                ('users', models.PositiveIntegerField(default=0, help_text='Users counted since, both arms.')),
                ('verdict', models.CharField(choices=[('held', 'Held up'), ('faded', 'Faded'), ('no_data', 'No data since the ship')], max_length=8)),
                ('experiment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ship_rechecks', to='experiments.experiment')),
                ('variant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='experiments.variant')),
            ],
            options={
                'db_table': 'analytics_shiprecheck',
                'ordering': ['-checked_on', 'experiment', 'after_days'],
                'constraints': [models.UniqueConstraint(fields=('experiment', 'after_days'), name='ship_recheck_once_per_horizon')],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
