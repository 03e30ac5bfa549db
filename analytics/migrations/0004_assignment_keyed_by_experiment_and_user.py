"""Assignments keyed by (experiment, user) instead of an id, and two redundant observation
indexes dropped (see the models).

A table cannot change its primary key to a composite one in place, so the assignment table is
rebuilt. Assignments are derived from the event log: the roll-up's events-sourced
observations and its watermark are reset with it, and the next ``events_rollup`` rebuilds
all three from the events (beat runs it every minute; ``python manage.py rollup_events`` runs
it at once after deploying).
"""

import django.db.models.deletion
from django.db import migrations, models


def reset_rollup(apps, schema_editor):
    Observation = apps.get_model("analytics", "Observation")
    RollupWatermark = apps.get_model("analytics", "RollupWatermark")
    Observation.objects.filter(source="events").delete()
    RollupWatermark.objects.filter(name="events").update(last_event_id=0)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_result_method"),
        ("experiments", "0002_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="Assignment"),
        migrations.CreateModel(
            name="Assignment",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "experiment",
                        "user_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "experiment",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="experiments.experiment",
                    ),
                ),
                ("user_id", models.CharField(max_length=128)),
                (
                    "variant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="experiments.variant",
                    ),
                ),
                ("first_exposed_at", models.DateTimeField()),
            ],
        ),
        # Both ways: going back also leaves an empty assignment table to rebuild from.
        migrations.RunPython(reset_rollup, reset_rollup),
        migrations.AlterField(
            model_name="observation",
            name="experiment",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="observations",
                to="experiments.experiment",
            ),
        ),
        migrations.AlterField(
            model_name="observation",
            name="variant",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="observations",
                to="experiments.variant",
            ),
        ),
    ]
