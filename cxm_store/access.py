"""Who may read which conversation: the one access rule of the console's per-conversation routes.

Leads and admins read every conversation. An agent reads only what their work
needs (UU PDP's purpose limitation):

* a conversation waiting in the queue, to decide whether to claim it;
* a conversation they hold or held (any handoff of it was theirs);
* the earlier conversations of a customer they are serving right now (a
  handoff of that customer is claimed by them), for context.

Everything else is, to an agent, as if it did not exist: the routes answer
404 rather than 403, so sequential ids cannot be walked to learn which exist.
"""
from typing import Optional

from sqlalchemy import exists, or_, select
from sqlalchemy.engine import Engine

from contract.vocabulary import CLAIMED, REQUESTED
from cxm_store.db import session_factory
from cxm_store.models import Conversation, Handoff

READ_ALL_ROLES = ("lead", "admin")


def may_read_conversation(
    conversation_id: int, username: str, role: str, engine: Engine = None
) -> bool:
    """Whether the console user may read conversation ``conversation_id``.

    False also when the conversation does not exist, so callers answer the
    same 404 in both cases.
    """
    with session_factory(engine)() as session:
        customer_id: Optional[int] = session.scalar(
            select(Conversation.customer_id).where(Conversation.id == conversation_id)
        )
        if customer_id is None:
            return False
        if role in READ_ALL_ROLES:
            return True
        waiting_or_mine = exists().where(
            Handoff.conversation_id == conversation_id,
            or_(Handoff.status == REQUESTED, Handoff.agent == username),
        )
        serving_this_customer = exists().where(
            Handoff.conversation_id == Conversation.id,
            Conversation.customer_id == customer_id,
            Handoff.status == CLAIMED,
            Handoff.agent == username,
        )
        return bool(session.scalar(select(or_(waiting_or_mine, serving_this_customer))))


def may_act_on_handoff(handoff: dict, username: str, role: str) -> bool:
    """Whether the user may see a handoff's state when replying to or resolving it.

    Agents who neither hold it nor could claim it (it waits in the queue)
    get the same answer as for a handoff that does not exist.
    """
    if role in READ_ALL_ROLES:
        return True
    return handoff["status"] == REQUESTED or handoff["agent"] == username
