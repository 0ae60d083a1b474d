"""Survey wording owned by leads: each question and its button titles per language, versioned.

A lead's save adds a version (1, 2, ... per question and language); the bot
asks with the newest version, falling back to its built-in texts (the domain's
responses) while none exists. Every survey answer stores, in
``survey_answers.text_version``, the version in force in the conversation's
language when its question was asked (NULL: the built-in texts), so scores
given to different wordings can be told apart.

Only the words change: the buttons keep their order and their payloads (what
the bot understands), so a lead's titles replace the built-in ones one by one.
"""
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from contract.vocabulary import SURVEY_KINDS
from cxm_store.console_models import SurveyText
from cxm_store.db import session_factory, utc_naive

QUESTIONS = SURVEY_KINDS
LANGUAGES = ("id", "en")
MAX_QUESTION = 500
MAX_TITLE = 40


@dataclass(frozen=True)
class Wording:
    """One version of a question's text and button titles in one language."""

    kind: str
    language: str
    version: int
    question: str
    buttons: List[str]
    updated_by: str
    updated_at: datetime


def _view(row: SurveyText) -> Wording:
    return Wording(
        row.kind, row.language, row.version, row.question, json.loads(row.buttons),
        row.updated_by, row.updated_at,
    )


def save_wording(
    kind: str, language: str, question: str, buttons: List[str], author: str, at: datetime, engine: Engine = None
) -> int:
    """Store a new version of question ``kind`` in ``language``; return its version number.

    Raises:
        ValueError: Unknown question or language, empty or too long text, a button title too long.
    """
    question = (question or "").strip()
    titles = [title.strip() for title in buttons if title and title.strip()]
    if kind not in QUESTIONS:
        raise ValueError(f"Unknown survey question {kind!r}")
    if language not in LANGUAGES:
        raise ValueError("The language must be id (Indonesian) or en (English)")
    if not question or len(question) > MAX_QUESTION:
        raise ValueError(f"Write the question (at most {MAX_QUESTION} characters)")
    if any(len(title) > MAX_TITLE for title in titles):
        raise ValueError(f"Button titles are limited to {MAX_TITLE} characters")
    with session_factory(engine)() as session, session.begin():
        latest = session.scalar(
            select(func.max(SurveyText.version)).where(SurveyText.kind == kind, SurveyText.language == language)
        )
        row = SurveyText(
            version=(latest or 0) + 1, kind=kind, language=language, question=question,
            buttons=json.dumps(titles, ensure_ascii=False), updated_by=author, updated_at=utc_naive(at),
        )
        session.add(row)
        session.flush()
        return row.version


def _in_force(kind: str, language: str, at: Optional[datetime]) -> List[Any]:
    """Conditions for the versions of a question saved by ``at`` (every version when None)."""
    conditions = [SurveyText.kind == kind, SurveyText.language == language]
    return conditions + ([SurveyText.updated_at <= utc_naive(at)] if at is not None else [])


def current_wording(
    kind: str, language: str, engine: Engine = None, at: Optional[datetime] = None
) -> Optional[Wording]:
    """The version of a question in force at ``at`` (default: the newest), or None (the built-in texts apply).

    A question asked again is asked in the version it was first asked in (``at``
    = when it was first asked), so the customer reads the same words and the
    answer's stored version is the one they read.
    """
    with session_factory(engine)() as session:
        row = session.scalars(
            select(SurveyText).where(*_in_force(kind, language, at)).order_by(SurveyText.version.desc()).limit(1)
        ).first()
        return _view(row) if row else None


def all_current(engine: Engine = None) -> List[Wording]:
    """The newest version of every question and language that has one."""
    found = [current_wording(kind, language, engine=engine) for kind in QUESTIONS for language in LANGUAGES]
    return [wording for wording in found if wording]


def version_in_force(connection: Any, kind: str, language: Optional[str], asked_at: datetime) -> Optional[int]:
    """The version a question was asked in: the newest saved at or before ``asked_at``."""
    if not language:
        return None
    return connection.execute(select(func.max(SurveyText.version)).where(*_in_force(kind, language, asked_at))).scalar()
