"""The design page's forms: the design itself (with its decision rule) and its variants. They
check types only; the design services and ``experiment_submit`` judge the design."""

import copy

from django import forms
from django.db.models import Q

from .choices import sort_choices
from .models import Experiment, Objective, Segment

# --- experiment design ------------------------------------------------------------------

_DESIGN_FIELDS = forms.fields_for_model(
    Experiment,
    fields=[
        "name",
        "key",
        "objective",
        "segment",
        "executed_by",
        "partner",
        "primary_metric",
        "secondary_metrics",
        "guardrail_metrics",
        "method",
        "correction",
        "sequential_tau",
        "alpha",
        "power",
        "mde",
        "baseline",
        "baseline_sd",
        "daily_traffic",
        "min_run_weeks",
        "reach_per_year",
        "value_per_conversion",
    ],
    labels={
        "key": "Key",
        "executed_by": "Executed by",
        "partner": "Agency partner",
        "secondary_metrics": "Secondary metrics",
        "guardrail_metrics": "Guardrail metrics",
        "method": "Analysis method",
        "correction": "Multiple-comparison correction",
        "alpha": "Alpha (α)",
        "mde": "Minimum detectable effect (MDE)",
        "baseline_sd": "Baseline SD",
        "min_run_weeks": "Minimum run time (full weeks)",
        "reach_per_year": "Reach per year",
        "value_per_conversion": "Value per conversion",
    },
    help_texts={
        "name": "What the team will call the test.",
        "key": "Stable key for event streams and uploads; it cannot change once saved.",
        "objective": "The long-term objective it serves.",
        "segment": "The audience in the test. Sunset segments are not offered.",
        "partner": "Only when an agency partner runs it.",
        "primary_metric": "The one metric that decides the test.",
        "secondary_metrics": "Also measured, not deciding. Tick any number.",
        "guardrail_metrics": "Must not get worse. Tick any number.",
        "sequential_tau": "Sequential only: mSPRT mixture SD, e.g. 0.05.",
        "alpha": "False-positive rate, e.g. 0.05.",
        "power": "Chance to detect a real MDE, e.g. 0.8.",
        "mde": "Relative change to detect, e.g. 0.05 for +5 %.",
        "baseline": "Control's rate (e.g. 0.12) or mean per user.",
        "baseline_sd": "Per-user SD; mean metrics only.",
        "daily_traffic": "People entering the test per day, all variants together.",
        "min_run_weeks": "It is not completed earlier without a reason, whatever its sample.",
        "reach_per_year": "People a year who would see the change if it scaled.",
        "value_per_conversion": "In the objective's unit: what one extra conversion is worth.",
    },
    widgets={
        "secondary_metrics": forms.CheckboxSelectMultiple,
        "guardrail_metrics": forms.CheckboxSelectMultiple,
    },
)


class PartnerScope:
    """A partner's person designs for their partner, among the objectives and segments they
    may see (``experiments.selectors``): passed to the form by the design views."""

    def __init__(self, partner, objectives, segments):
        self.partner, self.objectives, self.segments = partner, objectives, segments


class ExperimentDesignForm(forms.Form):
    """The design of one experiment; the design services and ``experiment_submit`` judge it.

    Only types are checked here, so a draft may be saved half done. ``creating`` adds the key,
    which is set once; ``read_only`` shows the design to someone who may not change it.
    """

    name = _DESIGN_FIELDS["name"]
    key = _DESIGN_FIELDS["key"]
    objective = _DESIGN_FIELDS["objective"]
    segment = _DESIGN_FIELDS["segment"]
    executed_by = _DESIGN_FIELDS["executed_by"]
    partner = _DESIGN_FIELDS["partner"]
    primary_metric = _DESIGN_FIELDS["primary_metric"]
    secondary_metrics = _DESIGN_FIELDS["secondary_metrics"]
    guardrail_metrics = _DESIGN_FIELDS["guardrail_metrics"]
    method = _DESIGN_FIELDS["method"]
    correction = _DESIGN_FIELDS["correction"]
    sequential_tau = _DESIGN_FIELDS["sequential_tau"]
    alpha = _DESIGN_FIELDS["alpha"]
    power = _DESIGN_FIELDS["power"]
    mde = _DESIGN_FIELDS["mde"]
    baseline = _DESIGN_FIELDS["baseline"]
    baseline_sd = _DESIGN_FIELDS["baseline_sd"]
    daily_traffic = _DESIGN_FIELDS["daily_traffic"]
    min_run_weeks = _DESIGN_FIELDS["min_run_weeks"]
    # The decision rule (analytics.stats.decision_rule.DecisionRule), one field per setting; the
    # design services check the values. Tolerances per guardrail are kept as they are.
    rule_guardrail_tolerance = forms.FloatField(
        label="Guardrail tolerance",
        required=False,
        help_text="How much worse a guardrail may get before a win is iterated, e.g. 0.02.",
    )
    rule_ship_chance = forms.FloatField(
        label="Chance to beat control to ship",
        required=False,
        help_text="Bayesian tests only, e.g. 0.95.",
    )
    rule_max_expected_loss = forms.FloatField(
        label="Largest expected loss to ship",
        required=False,
        help_text="Bayesian tests only; relative to the control, e.g. 0.005.",
    )
    rule_abandon_when_mde_ruled_out = forms.BooleanField(
        label="Abandon when the interval rules out the MDE", required=False
    )
    rule_apply_false_win_level = forms.BooleanField(
        label="Hold a win to the programme's false-win level",
        required=False,
        help_text="Fixed-horizon and sequential tests: p must also pass the LORD++ level of the "
        "false-wins insight.",
    )
    reach_per_year = _DESIGN_FIELDS["reach_per_year"]
    value_per_conversion = _DESIGN_FIELDS["value_per_conversion"]

    RULE_PREFIX = "rule_"

    def __init__(
        self,
        *args,
        creating: bool = False,
        read_only: bool = False,
        current=None,
        locked=(),
        rule=None,
        partner_of=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # The rule's settings this form does not show (tolerances per guardrail) are kept.
        self.base_rule = dict(rule or {})
        self.locked = set(locked)
        if not creating:
            del self.fields["key"]
        # Active choices, plus whatever the saved design already points to.
        keep = {"segment": getattr(current, "segment_id", None)}
        keep["objective"] = getattr(current, "objective_id", None)
        self.fields["segment"].queryset = Segment.objects.filter(
            Q(status=Segment.Status.ACTIVE) | Q(pk=keep["segment"])
        ).select_related("parent__parent__parent")
        self.fields["objective"].queryset = Objective.objects.filter(
            Q(status=Objective.Status.ACTIVE) | Q(pk=keep["objective"])
        )
        if partner_of is not None:
            self._for_partner(partner_of)
        for name in ("mde", "baseline", "baseline_sd", "daily_traffic", "alpha", "power"):
            self.fields[name].widget.attrs.setdefault("inputmode", "decimal")
        sort_choices(self)
        # Left empty, the minimum run time keeps what it was (types only are checked here).
        self.fields["min_run_weeks"].required = False
        # A template's locked fields are shown, not edited (the design services refuse them).
        for name in self.locked_names():
            self.fields[name].disabled = True
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def _for_partner(self, scope: "PartnerScope") -> None:
        self.fields["executed_by"].choices = [
            (Experiment.ExecutedBy.AGENCY, Experiment.ExecutedBy.AGENCY.label)
        ]
        self.fields["executed_by"].initial = Experiment.ExecutedBy.AGENCY
        self.fields["partner"].queryset = type(scope.partner).objects.filter(pk=scope.partner.pk)
        self.fields["partner"].initial = scope.partner.pk
        self.fields["partner"].empty_label = None
        self.fields["objective"].queryset = self.fields["objective"].queryset.filter(
            pk__in=scope.objectives.values("pk")
        )
        self.fields["segment"].queryset = self.fields["segment"].queryset.filter(
            pk__in=scope.segments.values("pk")
        )
        self.initial.setdefault("executed_by", Experiment.ExecutedBy.AGENCY)
        self.initial["executed_by"] = Experiment.ExecutedBy.AGENCY
        self.initial["partner"] = scope.partner.pk

    def rule_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith(self.RULE_PREFIX)]

    def locked_names(self) -> list[str]:
        """The form fields of the locked design fields (the rule's settings for the rule)."""
        names = [name for name in self.locked if name in self.fields]
        return names + (self.rule_names() if "decision_rule" in self.locked else [])

    def design_fields(self) -> dict:
        """The cleaned design fields, as the design services take them (the key aside); the
        rule's settings as one ``decision_rule``."""
        fields = {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "key" and not name.startswith(self.RULE_PREFIX)
        }
        if fields.get("min_run_weeks") is None:
            fields.pop("min_run_weeks", None)
        fields["decision_rule"] = self.rule_of(self.base_rule, self.cleaned_data)
        return fields

    @classmethod
    def rule_of(cls, base_rule: dict, cleaned_data: dict) -> dict:
        """The rule from its settings in ``cleaned_data`` (those left empty keep ``base_rule``'s);
        the template page reads its rule with it too."""
        rule = dict(base_rule or {})
        for name, value in cleaned_data.items():
            if name.startswith(cls.RULE_PREFIX) and value is not None:
                rule[name.removeprefix(cls.RULE_PREFIX)] = value
        return rule

    @classmethod
    def rule_fields(cls) -> dict:
        """Fresh copies of the rule's setting fields, by name (for another form to show)."""
        return {
            name: copy.deepcopy(field)
            for name, field in cls.base_fields.items()
            if name.startswith(cls.RULE_PREFIX)
        }

    @classmethod
    def rule_initial(cls, rule: dict) -> dict:
        """The rule's settings as this form's initial values."""
        return {
            f"{cls.RULE_PREFIX}{name}": rule[name]
            for name in (
                "guardrail_tolerance",
                "ship_chance",
                "max_expected_loss",
                "abandon_when_mde_ruled_out",
                "apply_false_win_level",
            )
            if name in rule
        }


class VariantForm(forms.Form):
    key = forms.SlugField(max_length=64, help_text="e.g. control, b")
    name = forms.CharField(max_length=200)
    is_control = forms.BooleanField(required=False, label="Control")
    weight = forms.FloatField(help_text="Share of traffic; all weights sum to 1.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_control"].widget.attrs["class"] = "variant-control"
        self.fields["weight"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})


VariantFormSet = forms.formset_factory(VariantForm, extra=0, can_delete=True)

DEFAULT_VARIANTS = [
    {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
    {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.5},
]

# What the design services and submit say about the variants as a whole (not one row).
VARIANT_PROBLEM_KEYS = ("variants", "control", "variant_keys", "weights")


def variant_rows(formset) -> list[dict]:
    """The variants to save: every filled-in row not marked for removal."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append({name: data.get(name) for name in ("key", "name", "is_control", "weight")})
    return rows


def add_design_errors(form, errors: dict[str, list[str]]) -> list[str]:
    """Put the design services' errors beside their fields; return those about the variants.

    The rule's problems ("ship_chance: must lie in …") go beside the rule's own settings."""
    variant_problems = []
    for field, problems in errors.items():
        if field in VARIANT_PROBLEM_KEYS:
            variant_problems.extend(problems)
            continue
        for problem in problems:
            target = field if field in form.fields else None
            if field == "decision_rule":
                setting, _, text = problem.partition(": ")
                if f"rule_{setting}" in form.fields:
                    target, problem = f"rule_{setting}", text[:1].upper() + text[1:] + "."
            form.add_error(target, problem)
    return variant_problems
