"""OpenAPI 3 description of the dashboard API, written by hand, served at ``/api/openapi.json``.

``tests/dashboard`` checks that every ``/api/dashboard`` route of the app is
in :data:`SPEC` (and nothing documented is missing from the app). The
document itself needs a console login (any role), like every other route.
"""
from typing import Any, Dict

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from contract.metrics import (
    CONTAINMENT_RATE,
    CSAT_PERCENT,
    ESCALATION_RATE,
    FIRST_RESPONSE_MEDIAN_S,
    NEGATIVE_SENTIMENT_PERCENT,
)
from cx_reports.metrics import GROUPINGS, METRICS
from team_app.security import require_role

_nullable_number = {"type": "number", "nullable": True}
_FILTERS = [
    {"name": "range", "in": "query", "schema": {"type": "string", "enum": ["7", "30", "90", "custom"], "default": "30"},
     "description": "Last 7/30/90 days up to and including today (shop time zone), or `custom` with `from` and `to`."},
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "First day (included), with range=custom (or when range is absent)."},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "Last day (included), with range=custom. Default: today."},
    {"name": "channel", "in": "query", "schema": {"type": "string", "example": "web"},
     "description": "Only this channel (web, telegram, rest)."},
    {"name": "language", "in": "query", "schema": {"type": "string", "example": "id"},
     "description": "Only this conversation language (id, en)."},
    {"name": "grain", "in": "query", "schema": {"type": "string", "enum": ["day", "week"], "default": "day"},
     "description": "Time-series grouping (ISO weeks start on Monday)."},
]
_ERRORS = {
    "400": {"description": "Bad filter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "401": {"description": "Not logged in", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "403": {"description": "Role is not lead or admin", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
}
_METRIC_NAMES = list(METRICS) + [FIRST_RESPONSE_MEDIAN_S]


def _ok(schema_ref: str, description: str) -> Dict[str, Any]:
    return {"200": {"description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}},
            **_ERRORS}


SPEC: Dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Serambi CX dashboard API",
        "version": "1.0.0",
        "description": (
            "CX figures for leads and admins (session cookie from POST /login). "
            "Every route takes the same filters; the window is [from 00:00, to+1 day 00:00) in the "
            "shop's time zone (CXM_TIMEZONE) on conversation start; series count its local days. "
            "Rates are percentages 0-100, NPS -100..100, durations seconds; "
            "null = empty denominator. Definitions: docs/metrics.md and cx_reports/voice.py."
        ),
    },
    "components": {
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "cxm_session"}},
        "schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
            "Window": {"type": "object", "properties": {"start": {"type": "string", "format": "date-time"},
                                                        "end": {"type": "string", "format": "date-time"}}},
            "Filters": {"type": "object", "properties": {
                "range": {"type": "string"}, "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"}, "channel": {"type": "string", "nullable": True},
                "language": {"type": "string", "nullable": True}, "grain": {"type": "string"}}},
            "Comparison": {"type": "object", "properties": {
                "current": _nullable_number, "previous": _nullable_number, "change": _nullable_number,
                "direction": {"type": "integer", "enum": [-1, 0, 1],
                              "description": "1: up is good, -1: down is good, 0: neither"}}},
            "Summary": {"type": "object", "properties": {
                "window": {"$ref": "#/components/schemas/Window"},
                "previous_window": {"$ref": "#/components/schemas/Window"},
                "filters": {"$ref": "#/components/schemas/Filters"},
                "metrics": {"type": "object", "properties": {
                    name: {"$ref": "#/components/schemas/Comparison"} for name in _METRIC_NAMES}}}},
            "Timeseries": {"type": "object", "properties": {
                "window": {"$ref": "#/components/schemas/Window"},
                "filters": {"$ref": "#/components/schemas/Filters"},
                "grain": {"type": "string", "enum": ["day", "week"]},
                "series": {"type": "object", "description": "metric -> [[period start YYYY-MM-DD, value|null], ...]",
                           "properties": {m: {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
                                                                         "items": {"oneOf": [{"type": "string"}, _nullable_number]}}}
                                          for m in ("conversations", CONTAINMENT_RATE, CSAT_PERCENT, ESCALATION_RATE,
                                                    NEGATIVE_SENTIMENT_PERCENT)}}}},
            "Metrics": {"type": "object", "properties": {m: _nullable_number for m in METRICS}},
            "Breakdown": {"type": "object", "properties": {
                "window": {"$ref": "#/components/schemas/Window"},
                "filters": {"$ref": "#/components/schemas/Filters"},
                "by": {"type": "string", "enum": list(GROUPINGS)},
                "groups": {"type": "array", "items": {"type": "object", "description": "{<by>: group name or null, metrics: {...}}",
                                                      "properties": {"metrics": {"$ref": "#/components/schemas/Metrics"}},
                                                      "additionalProperties": {"type": "string", "nullable": True}}}}},
            "Voice": {"type": "object", "properties": {
                "window": {"$ref": "#/components/schemas/Window"},
                "filters": {"$ref": "#/components/schemas/Filters"},
                "kind": {"type": "string"},
                "rows": {"type": "array", "items": {"type": "object", "description": (
                    "unrecognised: text, count, conversations, last_at, example_conversation_id; "
                    "low-csat-topics: topic, answers, csat_percent; "
                    "escalation-topics: topic, closed, escalated, escalation_rate; "
                    "low-scores: conversation_id, score, answered_at, channel, language, topic, agent, comment; "
                    "negative-topics: topic, scored, negative, negative_percent")}}}},
        },
    },
    "security": [{"session": []}],
    "paths": {
        "/api/dashboard/summary": {"get": {
            "summary": "KPIs now, in the previous same-length period, and the change",
            "operationId": "dashboardSummary", "parameters": _FILTERS,
            "responses": _ok("Summary", "Every metric plus first_response_median_s")}},
        "/api/dashboard/timeseries": {"get": {
            "summary": "Conversations, containment %, CSAT %, escalation % and negative-sentiment % "
                       "per local day or week",
            "operationId": "dashboardTimeseries", "parameters": _FILTERS,
            "responses": _ok("Timeseries", "One series per metric, empty periods filled")}},
        "/api/dashboard/breakdown/{by}": {"get": {
            "summary": "Every metric per channel, language, topic or agent",
            "operationId": "dashboardBreakdown",
            "parameters": [{"name": "by", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": list(GROUPINGS)}}] + _FILTERS,
            "responses": {**_ok("Breakdown", "One row per group"), "404": {"description": "Unknown grouping"}}}},
        "/api/dashboard/voice/{kind}": {"get": {
            "summary": "Voice of the customer: unrecognised questions, lowest-CSAT topics, "
                       "highest-escalation topics, latest CSAT 1-2 with comments, "
                       "topics with the most negative conversations",
            "operationId": "dashboardVoice",
            "parameters": [{"name": "kind", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": ["unrecognised", "low-csat-topics",
                                                                  "escalation-topics", "low-scores",
                                                                  "negative-topics"]}}] + _FILTERS,
            "responses": {**_ok("Voice", "Rows, most important first"), "404": {"description": "Unknown kind"}}}},
        "/api/dashboard/{table}.csv": {"get": {
            "summary": "Any dashboard table as CSV (same figures as the JSON, full precision, empty = null)",
            "operationId": "dashboardCsv",
            "parameters": [{"name": "table", "in": "path", "required": True, "schema": {"type": "string", "enum": [
                "summary", "timeseries", *[f"breakdown-{by}" for by in GROUPINGS],
                "voice-unrecognised", "voice-low-csat-topics", "voice-escalation-topics", "voice-low-scores",
                "voice-negative-topics"]}}]
            + _FILTERS,
            "responses": {"200": {"description": "CSV with a header row", "content": {"text/csv": {"schema": {"type": "string"}}}},
                          **_ERRORS, "404": {"description": "Unknown table"}}}},
        "/api/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi",
            "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}},
                          "401": _ERRORS["401"]}}},
    },
}


def register(app: Sanic) -> None:
    @app.get("/api/openapi.json", name="api_openapi")
    @require_role()
    async def openapi(request: Request) -> HTTPResponse:
        return response.json(SPEC)
