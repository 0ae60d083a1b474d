"""The registry of CX metrics: what each one means, its unit, which way is good, its labels.

The report, the dashboard (server and page), the CSV export and the OpenAPI
description all read this registry; adding a metric starts here (its SQL is
in cx_reports.metrics, or cx_reports.voice for the two marked there).
Definitions in full: docs/metrics.md.
"""
from dataclasses import dataclass
from typing import Dict, Mapping, Tuple

# Units: how a value is written.
COUNT, PERCENT, SCORE, SECONDS = "count", "percent", "score", "seconds"
# Direction: +1 up is good, -1 down is good, 0 neither.
UP, DOWN, NEITHER = 1, -1, 0


# Metric names, for code that picks one (the dashboard's KPI row, a series).
CONVERSATION_COUNT = "conversations"
CONTAINMENT_RATE = "containment_rate"
ESCALATION_RATE = "escalation_rate"
ABANDONMENT_RATE = "abandonment_rate"
FCR_RATE = "fcr_rate"
CSAT_PERCENT = "csat_percent"
CSAT_MEAN = "csat_mean"
CES_MEAN = "ces_mean"
CES_EASY_PERCENT = "ces_easy_percent"
NPS_SCORE = "nps"
SURVEY_RESPONSE_RATE = "survey_response_rate"
FALLBACK_RATE = "fallback_rate"
HANDOFF_WAIT_MEDIAN_S = "handoff_wait_median_s"
HANDOFF_WAIT_P90_S = "handoff_wait_p90_s"
HANDOFF_RESOLUTION_MEDIAN_S = "handoff_resolution_median_s"
HANDOFF_RESOLUTION_P90_S = "handoff_resolution_p90_s"
FIRST_RESPONSE_MEDIAN_S = "first_response_median_s"
NEGATIVE_SENTIMENT_PERCENT = "negative_sentiment_percent"


@dataclass(frozen=True)
class Metric:
    """One CX metric.

    Attributes:
        name: Its key in every document, CSV header and query parameter.
        definition: One sentence a CX lead can check a figure against.
        unit: COUNT, PERCENT (0-100), SCORE or SECONDS.
        direction: UP, DOWN or NEITHER (which change is an improvement).
        heading: Its name in the command-line report (English, with the unit).
        label_id: Its name on the dashboard in Indonesian.
        label_en: Its name on the dashboard in English.
        per_conversation: True when cx_reports.metrics computes it from the
            conversations (summary, breakdown, series); False for the two
            that voice of the customer computes from messages.
    """

    name: str
    definition: str
    unit: str
    direction: int
    heading: str
    label_id: str
    label_en: str
    per_conversation: bool = True


REGISTRY: Tuple[Metric, ...] = (
    Metric(CONVERSATION_COUNT, "Conversations started in the window (open ones included).",
           COUNT, NEITHER, "Conversations", "Percakapan", "Conversations"),
    Metric(CONTAINMENT_RATE,
           "% of closed conversations resolved by the bot without any handoff.",
           PERCENT, UP, "Containment %", "Containment", "Containment"),
    Metric(ESCALATION_RATE, "% of closed conversations whose outcome is escalated.",
           PERCENT, DOWN, "Escalation %", "Eskalasi", "Escalation"),
    Metric(ABANDONMENT_RATE, "% of closed conversations whose outcome is abandoned.",
           PERCENT, DOWN, "Abandonment %", "Ditinggalkan", "Abandonment"),
    Metric(FCR_RATE,
           "% of conversations answering 'resolved: yes' with no repeat on the topic in 7 days.",
           PERCENT, UP, "First-contact resolution %", "Selesai di kontak pertama",
           "First-contact resolution"),
    Metric(CSAT_PERCENT, "% of answered CSAT scores (1-5) that are 4 or 5.",
           PERCENT, UP, "CSAT % (4-5)", "CSAT", "CSAT"),
    Metric(CSAT_MEAN, "Mean of answered CSAT scores (1-5).",
           SCORE, UP, "CSAT mean (1-5)", "CSAT rata-rata", "CSAT mean"),
    Metric(CES_MEAN, "Mean of answered customer-effort scores (1-7, 7 = very easy).",
           SCORE, UP, "CES mean (1-7)", "CES (rata-rata, 1-7)", "CES (mean, 1-7)"),
    Metric(CES_EASY_PERCENT, "% of answered customer-effort scores that are 5-7.",
           PERCENT, UP, "CES easy % (5-7)", "CES mudah", "CES easy"),
    Metric(NPS_SCORE, "% promoters (9-10) minus % detractors (0-6), from -100 to 100.",
           SCORE, UP, "NPS", "NPS", "NPS"),
    Metric(SURVEY_RESPONSE_RATE,
           "% of surveyed conversations with at least one answered question.",
           PERCENT, UP, "Survey response %", "Tingkat respons survei", "Survey response rate"),
    Metric(FALLBACK_RATE, "% of customer messages the bot could not understand.",
           PERCENT, DOWN, "Fallback %", "Fallback", "Fallback"),
    Metric(HANDOFF_WAIT_MEDIAN_S, "Median seconds from handoff request to an agent's claim.",
           SECONDS, DOWN, "Handoff wait median (s)", "Median tunggu agen", "Median handoff wait"),
    Metric(HANDOFF_WAIT_P90_S, "90th percentile of seconds from handoff request to claim.",
           SECONDS, DOWN, "Handoff wait p90 (s)", "P90 tunggu agen", "P90 handoff wait"),
    Metric(HANDOFF_RESOLUTION_MEDIAN_S,
           "Median seconds from handoff request to resolution.",
           SECONDS, DOWN, "Handoff resolution median (s)", "Median penyelesaian agen",
           "Median handoff resolution"),
    Metric(HANDOFF_RESOLUTION_P90_S,
           "90th percentile of seconds from handoff request to resolution.",
           SECONDS, DOWN, "Handoff resolution p90 (s)", "P90 penyelesaian agen",
           "P90 handoff resolution"),
    Metric(FIRST_RESPONSE_MEDIAN_S,
           "Median seconds from asking for a person to the first reply of one.",
           SECONDS, DOWN, "First agent response median (s)", "Median respons pertama agen",
           "Median first agent response", per_conversation=False),
    Metric(NEGATIVE_SENTIMENT_PERCENT,
           "% of conversations with a customer message read as negative.",
           PERCENT, DOWN, "Negative conversations %", "Percakapan bernada negatif",
           "Negative conversations", per_conversation=False),
)
BY_NAME: Mapping[str, Metric] = {metric.name: metric for metric in REGISTRY}
# The metrics computed per conversation, in report order.
CONVERSATION_METRICS: Tuple[str, ...] = tuple(m.name for m in REGISTRY if m.per_conversation)
ALL_METRICS: Tuple[str, ...] = tuple(m.name for m in REGISTRY)
DIRECTION: Dict[str, int] = {m.name: m.direction for m in REGISTRY}
UNITS: Dict[str, str] = {m.name: m.unit for m in REGISTRY}


def label(name: str, language: str) -> str:
    """The dashboard label of metric ``name`` in ``language`` (``id`` or ``en``)."""
    metric = BY_NAME[name]
    return metric.label_id if language == "id" else metric.label_en
