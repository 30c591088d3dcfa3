"""First guesses a desk makes about a new ticket: severity and priority. Pure."""
from __future__ import annotations

# Words that mark how serious a complaint is, in the languages customers write in.
# A legal threat or a media/regulator threat is critical; a claim for money is serious.
CRITICAL_WORDS = (
    "lawyer", "lawsuit", "sue ", "court", "legal action", "regulator", "journalist", "media",
    "律师", "起诉", "法院", "诉讼", "曝光", "媒体", "12315", "消协", "监管", "工信部",
)
SERIOUS_WORDS = (
    "compensation", "refund", "claim", "chargeback", "damage", "injur",
    "赔偿", "退款", "索赔", "损失", "受伤", "投诉升级",
)

SEVERITY_PRIORITY = {"critical": "P1", "serious": "P2", "ordinary": "P3"}
KIND_PRIORITY = {"service_request": "P3", "inquiry": "P4"}
PRIORITIES = ("P1", "P2", "P3", "P4")


def classify_severity(kind: str, text: str) -> str | None:
    """Severity of a complaint from its words; other kinds have none."""
    if kind != "complaint":
        return None
    lowered = text.lower()
    if any(w in lowered for w in CRITICAL_WORDS):
        return "critical"
    if any(w in lowered for w in SERIOUS_WORDS):
        return "serious"
    return "ordinary"


def default_priority(kind: str, severity: str | None, tier: str | None = None,
                     category_default: str | None = None) -> str:
    """Priority when the caller gave none: the category's default, else by kind; a serious or
    critical complaint is raised to its severity's priority; a VIP customer's ticket is raised
    one step more (never above P1)."""
    base = category_default or KIND_PRIORITY.get(kind, "P3")
    by_severity = SEVERITY_PRIORITY.get(severity or "") if kind == "complaint" else None
    if by_severity and PRIORITIES.index(by_severity) < PRIORITIES.index(base):
        base = by_severity
    if tier == "VIP":
        return PRIORITIES[max(0, PRIORITIES.index(base) - 1)]
    return base
