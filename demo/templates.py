"""The demo's five templates (protocols), one per kind of test the demo team runs
(docs/decisions.md, "Templates"). Written by the demo CMO through ``template_create``."""

from experiments.models import ExperimentTemplate, Metric
from experiments.services import template_create
from roles.models import User

# name, kind, what it is for, primary, secondary, guardrails (metric keys), design, locked.
DEMO_TEMPLATES = [
    (
        "E-mail subject line",
        ExperimentTemplate.Kind.EMAIL_SUBJECT,
        "Subject lines of lifecycle e-mails: watched daily, stopped at the always-valid "
        "boundary; unsubscribes may not rise by more than 1 %.",
        "signup_conversion",
        [],
        ["unsubscribe_rate"],
        {"method": "sequential", "sequential_tau": 0.05, "mde": 0.05, "min_run_weeks": 1,
         "decision_rule": {"guardrail_tolerances": {"unsubscribe_rate": 0.01}}},
        ["guardrail_metrics", "decision_rule", "method"],
    ),
    (
        "Landing page",
        ExperimentTemplate.Kind.LANDING_PAGE,
        "Landing-page copy and layout: two full weeks to cover both weekends' traffic.",
        "signup_conversion",
        ["revenue_per_visitor"],
        [],
        {"mde": 0.08, "min_run_weeks": 2},
        ["alpha", "power", "min_run_weeks"],
    ),
    (
        "Paid creative",
        ExperimentTemplate.Kind.PAID_CREATIVE,
        "Ad creatives: a Bayesian call once a creative is 95 % likely to beat control at a "
        "small expected loss, since spend continues meanwhile.",
        "signup_conversion",
        [],
        [],
        {"method": "bayesian", "mde": 0.1, "min_run_weeks": 1,
         "decision_rule": {"ship_chance": 0.95, "max_expected_loss": 0.002}},
        ["method", "decision_rule"],
    ),
    (
        "Pricing",
        ExperimentTemplate.Kind.PRICING,
        "Prices and plans: a stricter level, three weeks, and sign-ups may not fall by more "
        "than 3 % for a better trial-to-paid rate.",
        "trial_to_paid",
        ["revenue_per_visitor"],
        ["signup_conversion"],
        {"alpha": 0.01, "power": 0.9, "mde": 0.05, "min_run_weeks": 3,
         "decision_rule": {"guardrail_tolerances": {"signup_conversion": 0.03}}},
        ["alpha", "power", "guardrail_metrics", "min_run_weeks", "decision_rule"],
    ),
    (
        "Onboarding",
        ExperimentTemplate.Kind.ONBOARDING,
        "Onboarding steps and e-mails: judged on trial-to-paid, with time to activation beside "
        "it and unsubscribes as the guardrail.",
        "trial_to_paid",
        ["days_to_activation"],
        ["unsubscribe_rate"],
        {"method": "sequential", "sequential_tau": 0.05, "mde": 0.06, "min_run_weeks": 2},
        ["primary_metric", "min_run_weeks"],
    ),
]  # fmt: skip


def seed_templates(*, out=print) -> int:
    """Add the demo's templates that are missing (by name); none without the demo's CMO.

    Safe to run again: what is there already is left as it is."""
    cmo = User.objects.filter(username="cmo", is_demo=True).first()
    if cmo is None:
        return 0
    metrics = {metric.key: metric for metric in Metric.objects.all()}
    existing = set(ExperimentTemplate.objects.values_list("name", flat=True))
    added = 0
    for name, kind, description, primary, secondary, guardrails, design, locked in DEMO_TEMPLATES:
        if name in existing:
            continue
        template_create(
            actor=cmo,
            name=name,
            kind=kind,
            description=description,
            primary_metric=metrics.get(primary),
            secondary_metrics=[metrics[key] for key in secondary if key in metrics],
            guardrail_metrics=[metrics[key] for key in guardrails if key in metrics],
            locked_fields=locked,
            **design,
        )
        added += 1
    if added:
        out(f"Added {added} test template{'s' if added != 1 else ''}.")
    return added
