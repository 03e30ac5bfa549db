"""The product's statistical words, each with one plain line: shown under the pages and panels
that use them (``{% glossary "srm" "cuped" %}``) and as the title of the word itself
(``{% term "srm" %}``), so a reader never meets a term without its meaning beside it."""

TERMS: dict[str, tuple[str, str]] = {
    "alpha": (
        "α (level)",
        "The risk of calling a win that is not real which a test accepts: 0.05 means 1 in 20.",
    ),
    "power": ("Power", "The chance the test finds a real lift as large as the MDE."),
    "mde": (
        "MDE",
        "Minimum detectable effect: the smallest lift the test is sized to notice.",
    ),
    "interval": (
        "Interval",
        "The range the true lift very likely lies in; one that crosses zero means no clear effect.",
    ),
    "p_value": (
        "p-value",
        "How surprising the data would be if the change did nothing; small (below α) means a real "
        "effect.",
    ),
    "always_valid": (
        "Always-valid p",
        "A p-value for a test you check as it runs: it stays honest however often you look.",
    ),
    "chance_to_beat": (
        "Chance to beat control",
        "Bayesian: the probability that the variant is truly better than control.",
    ),
    "expected_loss": (
        "Expected loss",
        "Bayesian: how much the metric would drop on average if you ship this variant and it is "
        "in fact worse.",
    ),
    "srm": (
        "SRM",
        "Sample-ratio mismatch: the variants received a different share of users than planned, "
        "which usually means assignment or counting is broken.",
    ),
    "cuped": (
        "CUPED",
        "A noise reduction: each user's value before the test (the covariate) explains part of the "
        "spread, so the same users give a tighter interval.",
    ),
    "lord": (
        "LORD++",
        "A running bar over all the programme's decisions: each new win must clear a level set by "
        "the wins before it, so false wins stay under 5 % overall.",
    ),
    "false_win_level": (
        "False-win level",
        "The bar LORD++ sets for the next win, so the programme's false wins stay under 5 %.",
    ),
    "false_discovery": (
        "False discovery",
        "A test called a win when the change in fact did nothing.",
    ),
    "shrunk": (
        "Shrunk lift (shrinkage)",
        "A measured lift pulled toward the programme's typical lift, because the biggest measured "
        "wins usually overstate the truth (the winner's curse).",
    ),
    "typical_lift": (
        "Typical lift (μ)",
        "The average true lift of the programme's tests, estimated from all concluded tests; "
        "shrinkage pulls each lift toward it.",
    ),
    "p_win": (
        "P(win)",
        "The chance a test wins, from the past record of its team and segment.",
    ),
    "rank_correlation": (
        "Rank correlation",
        "How well one ordering predicts another: 1 is perfect, 0 is no relation.",
    ),
}


def entries(*keys: str) -> list[tuple[str, str, str]]:
    """(key, term, plain line) for ``keys`` in the order given; an unknown key is an error."""
    return [(key, *TERMS[key]) for key in keys]
