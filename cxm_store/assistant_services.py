"""What the assistant's dialogue asks of the store, behind one typed error.

The actions (``actions/``) read orders, the handoff queue, survey wordings,
NPS eligibility and account links through this module only. Each service here
turns any database failure into :class:`~cxm_store.errors.StoreUnavailable`,
so dialogue code handles one error of the store's own (and says something
useful to the customer) without knowing that a database, let alone
SQLAlchemy, is behind it.
"""
import functools
from typing import Any, Callable, TypeVar, cast

from sqlalchemy.exc import SQLAlchemyError

from cxm_store import handoff_queue, identity, order_access, survey_texts, surveys
from cxm_store.errors import StoreUnavailable

Service = TypeVar("Service", bound=Callable[..., Any])


def _answers_or_unavailable(service: Service) -> Service:
    @functools.wraps(service)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return service(*args, **kwargs)
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"the store could not answer ({type(error).__name__})") from error

    return cast(Service, call)


look_up_order = _answers_or_unavailable(order_access.look_up_order)
agents_online = _answers_or_unavailable(handoff_queue.agents_online)
waiting_queue = _answers_or_unavailable(handoff_queue.waiting_queue)
estimated_wait_seconds = _answers_or_unavailable(handoff_queue.estimated_wait_seconds)
current_wording = _answers_or_unavailable(survey_texts.current_wording)
nps_due = _answers_or_unavailable(surveys.nps_due)
issue_link_code = _answers_or_unavailable(identity.issue_link_code)
redeem_link_code = _answers_or_unavailable(identity.redeem_link_code)
prove_order = _answers_or_unavailable(identity.prove_order)
