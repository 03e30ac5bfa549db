# PortfolioRollup, InsightReport and ShipRecheck moved to the programme app.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0010_event_experiment_id'),
        ('programme', '0001_initial'),
    ]

    # The tables stay: programme's models use them now (programme 0001).
    state_operations = [
        migrations.DeleteModel(
            name='InsightReport',
        ),
        migrations.DeleteModel(
            name='PortfolioRollup',
        ),
        migrations.DeleteModel(
            name='ShipRecheck',
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
