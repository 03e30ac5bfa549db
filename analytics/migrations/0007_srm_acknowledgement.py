import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0006_insight_report'),
        ('experiments', '0008_experiment_newest_first_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SrmAcknowledgement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('look', models.PositiveIntegerField(help_text='The look at which the mismatch was seen.')),
                ('srm_p_value', models.FloatField(help_text="The SRM test's p-value at that look.")),
                ('acknowledged_at', models.DateTimeField(auto_now_add=True)),
                ('note', models.TextField(blank=True)),
                ('acknowledged_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('experiment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='srm_acknowledgement', to='experiments.experiment')),
            ],
        ),
    ]
