"""Survey wording in the console: leads edit each question and its buttons per language.

Routes:
    GET  /survey-texts        every question in both languages, with its current version (lead, admin)
    POST /survey-texts        form: kind, language, question, buttons (one title per line) -> a new version
"""
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from contract.vocabulary import CES, CSAT, NPS, SURVEY_COMMENT, SURVEY_RESOLVED
from cxm_store import survey_texts
from team_app.security import now, require_role, run_db, signed_in

QUESTION_NAMES = {
    SURVEY_RESOLVED: "Was it resolved?", CSAT: "Satisfaction (CSAT, 1-5)", CES: "Effort (CES, 1-7)",
    NPS: "Recommend (NPS, 0-10)", SURVEY_COMMENT: "Comment",
}


async def _page(request: Request, status: int = 200, error: str = "") -> HTTPResponse:
    from team_app import render

    current = {(w.kind, w.language): w for w in await run_db(request, survey_texts.all_current)}
    return render(
        request, "survey_texts.html", status=status, title="Survey wording", error=error, current=current,
        questions=QUESTION_NAMES, languages={"id": "Indonesian", "en": "English"},
    )


def register(app: Sanic) -> None:
    @app.get("/survey-texts", name="survey_texts_page")
    @require_role("lead", "admin")
    async def survey_texts_page(request: Request) -> HTTPResponse:
        return await _page(request)

    @app.post("/survey-texts", name="survey_texts_save")
    @require_role("lead", "admin")
    async def survey_texts_save(request: Request) -> HTTPResponse:
        form = request.form
        try:
            await run_db(
                request, survey_texts.save_wording, form.get("kind") or "", form.get("language") or "",
                form.get("question") or "", (form.get("buttons") or "").splitlines(),
                signed_in(request).user.username, now(),
            )
        except ValueError as error:
            return await _page(request, 400, str(error))
        return response.redirect("/survey-texts", status=303)
