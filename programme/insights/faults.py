"""Process faults: what went wrong in the process across the programme's post-mortems, by the
decision that opened them ("a third of kills were data problems"; docs/postmortems.md)."""

from ..models import Cause, ProcessFault
from .history import ProgrammeHistory
from .registry import Insight, register

FAULTS = [f for f in ProcessFault.values if f != ProcessFault.NONE]
DECISIONS = [("killed", "kills"), ("scale", "scales"), ("iterate", "iterations")]
DECISIONS += [("abandon", "abandons")]
# A share said in words, as people say it; None beyond these.
WORDS = [(1 / 4, "a quarter"), (1 / 3, "a third"), (1 / 2, "half"), (2 / 3, "two thirds")]
WORDS += [(3 / 4, "three quarters"), (1.0, "all")]


def in_words(count: int, total: int) -> str:
    """``3, 9`` → "a third"; a share within 3 points of a familiar fraction is named by it,
    any other as a percentage."""
    share = count / total
    for value, words in WORDS:
        if abs(share - value) <= 0.03:
            return words
    return f"{share:.0%}"


def compute(history: ProgrammeHistory) -> dict:
    frame = history.postmortems
    total = len(frame)
    said = frame[frame[[f"fault_{f}" for f in ProcessFault.values]].any(axis=1)] if total else frame
    counts = {f: int(said[f"fault_{f}"].sum()) if len(said) else 0 for f in ProcessFault.values}
    by_decision = []
    for decision, plural in DECISIONS:
        group = said[said["decision"] == decision] if len(said) else said
        by_decision.append(
            {
                "decision": decision,
                "label": plural,
                "count": len(group),
                "faults": {
                    f: int(group[f"fault_{f}"].sum()) if len(group) else 0
                    for f in ProcessFault.values
                },
            }
        )
    causes = frame["cause"].value_counts() if total else {}
    data = {
        "postmortems": total,
        "with_faults": len(said),
        "faults": [
            {
                "fault": f,
                "label": ProcessFault(f).label,
                "count": counts[f],
                "share": round(counts[f] / len(said), 4) if len(said) else None,
            }
            for f in ProcessFault.values
        ],
        "by_decision": by_decision,
        "causes": [
            {"cause": c, "label": Cause(c).label, "count": int(causes.get(c, 0))}
            for c in Cause.values
            if int(causes.get(c, 0))
        ],
    }
    data["reading"] = _reading(data)
    return data


# A decision needs this many post-mortems naming their faults for its share to lead the reading.
LEAD_AT_LEAST = 3


def _lead(groups: list[dict]):
    """The decision and fault with the largest share (kills first on a tie, then the fault's
    order), among decisions with enough post-mortems; None when no fault was found."""
    candidates = [
        (group["faults"][fault] / group["count"], -g, -FAULTS.index(fault), group, fault)
        for g, group in enumerate(groups)
        if group["count"] >= LEAD_AT_LEAST
        for fault in FAULTS
        if group["faults"][fault]
    ]
    if not candidates:
        return None
    *_, group, fault = max(candidates, key=lambda c: c[:3])
    return group, fault, group["faults"][fault]


def _reading(data: dict) -> str:
    if not data["with_faults"]:
        return (
            f"{data['postmortems']} post-mortems, none naming its process faults yet: complete "
            "the post-mortems of concluded and killed tests to see what goes wrong most."
        )
    parts = []
    lead = _lead(data["by_decision"])
    if lead is not None:
        group, fault, count = lead
        words = in_words(count, group["count"])
        whole = "All" if words == "all" else f"{words.capitalize()} of"
        parts.append(
            f"{whole} {group['label']} ({count} of {group['count']}) were "
            f"{ProcessFault(fault).label.lower()} problems."
        )
    top = max((row for row in data["faults"] if row["fault"] in FAULTS), key=lambda r: r["count"])
    none = next(row for row in data["faults"] if row["fault"] == ProcessFault.NONE)
    summary = f"Across {data['with_faults']} post-mortems that name their faults, "
    if top["count"]:
        summary += f"the most common is {top['label'].lower()} ({top['count']}, {top['share']:.0%})"
    else:
        summary += "none found a fault in the process"
    if none["count"] and top["count"]:
        summary += f"; {none['count']} found none"
    parts.append(summary + ".")
    return " ".join(parts)


PROCESS_FAULTS = register(
    Insight(
        name="process-faults",
        title="Process faults",
        question="What goes wrong in how we test, and how often — in kills and in decisions?",
        compute=compute,
        template="programme/insights/_process_faults.html",
    )
)
