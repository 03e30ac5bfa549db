"""An experiment's agency partner becomes a record: one Partner row per distinct name typed so
far (names that differ only in case or surrounding spaces are one partner), then the free-text
field goes."""

from django.db import migrations, models


def partners_from_names(apps, schema_editor):
    Experiment = apps.get_model("experiments", "Experiment")
    Partner = apps.get_model("roles", "Partner")
    by_key: dict[str, object] = {}
    names = (
        Experiment.objects.exclude(agency_name="")
        .values_list("agency_name", flat=True)
        .distinct()
        .order_by("agency_name")
    )
    for name in names:
        clean = " ".join(name.split())
        key = clean.casefold()
        if key not in by_key:
            by_key[key] = Partner.objects.filter(name__iexact=clean).first() or (
                Partner.objects.create(name=clean)
            )
        Experiment.objects.filter(agency_name=name).update(partner=by_key[key])
    # An agency experiment with no name typed: one "Unnamed agency" partner keeps it an agency's.
    unnamed = Experiment.objects.filter(executed_by="agency", partner__isnull=True)
    if unnamed.exists():
        partner, _ = Partner.objects.get_or_create(name="Unnamed agency")
        unnamed.update(partner=partner)
    # An in-house experiment that carried a name: the name said who ran it, so it is an agency's.
    Experiment.objects.filter(partner__isnull=False).update(executed_by="agency")


def names_from_partners(apps, schema_editor):
    Experiment = apps.get_model("experiments", "Experiment")
    for experiment in Experiment.objects.filter(partner__isnull=False).select_related("partner"):
        Experiment.objects.filter(pk=experiment.pk).update(agency_name=experiment.partner.name)


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0010_templates_and_decision_rules"),
        ("roles", "0005_partners"),
    ]

    operations = [
        migrations.AddField(
            model_name="experiment",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                help_text="The agency partner that runs it (agency experiments only).",
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="experiments",
                to="roles.partner",
            ),
        ),
        migrations.RunPython(partners_from_names, names_from_partners),
        migrations.RemoveField(model_name="experiment", name="agency_name"),
    ]
