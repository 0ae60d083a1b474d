"""How many messages one customer may send a minute: beyond it, "slow down", and Rasa's time goes to others.

A person types a few messages a minute; a script looping on one sender id
keeps a Rasa process busy for everyone else. Each channel counts a sender's
messages over a sliding minute (``MESSAGE_RATE_PER_SENDER``, default 30; 0
turns the limit off) with the counters of :mod:`cxm_store.rate_limits`: in
Redis when ``RATE_LIMIT_REDIS_URL`` is set, so the Rasa processes of the
scaled topology share one allowance per sender. A message over the limit
never reaches Rasa, the classifier or the store: the REST webhook answers
``429`` with ``Retry-After``; the web chat and Telegram, whose customers
see no HTTP status, get :data:`SLOW_DOWN` as a chat reply.

A script that invents a new sender id per message walks past that limit,
and fills the tracker store and the CX store with conversations. So the
REST webhook and the web chat also count per client address
(:class:`AddressRate`; the address is the socket's peer, or what a trusted
proxy says, :mod:`bot.channels.client_address`), one allowance per address
across both channels:

* ``MESSAGE_RATE_PER_ADDRESS`` messages a minute (default 120). One address
  is often many people: Indonesian mobile carriers put thousands of
  subscribers behind one carrier-grade NAT address, and an office or a
  campus shares one too. 120 lets some forty customers chatting at a
  person's pace (about three messages a minute) share an address, while a
  script from one address gets two messages a second, no more.
* ``NEW_CONVERSATIONS_PER_ADDRESS`` new conversations (sender ids not seen
  from that address in the last hour) an hour (default 60). Even a shared
  NAT brings one shop far fewer new chats an hour; a script inventing ids
  adds at most 1,440 conversations a day per address instead of 7,200 an
  hour. Conversations already open from the address go on being served.

This machine's own address (``ADDRESS_LIMITS_EXEMPT``, default ``127.0.0.1
::1``) is not counted per address: what comes from it is an operator or a
load test, not a stranger, and the per-sender limit still holds it.

Telegram is not counted per address: its updates come from Telegram's
servers, and its webhook secret guards them. 0 turns a limit off (load
generators do: ``bot.settings.FLOOD_LIMITS_OFF``). A refused message never
reaches Rasa, so nothing is stored for it: the REST webhook answers ``429``
with ``Retry-After``, the web chat a chat reply in the conversation's
language (both languages for a sender the bot has not met). The counters
keep a digest of the sender id, not the id, for the hour.
"""
import hashlib
import time
from dataclasses import dataclass
from typing import Dict, Optional, Text

from sanic.request import Request

from bot import settings
from bot.channels.client_address import is_within, request_client_address, trusted_networks
from cxm_store.rate_limits import Counters, counters_for

WINDOW_S = 60.0
NEW_CONVERSATIONS_WINDOW_S = 3600.0
# What a REST client is told to wait before sending again.
RETRY_AFTER_S = 10

SLOW_DOWN = (
    "Pelan-pelan ya, Kak: pesannya banyak sekali dalam semenit. Tunggu sebentar, lalu kirim lagi.\n"
    "That's a lot of messages in a minute: please wait a moment, then send yours again."
)


class MessageRate:
    """At most ``per_sender`` messages per sender and channel in any minute."""

    def __init__(self, per_sender: Optional[int] = None, counters: Optional[Counters] = None) -> None:
        self.per_sender = settings.load().message_rate_per_sender if per_sender is None else per_sender
        self._counters = counters if counters is not None else counters_for("messages")

    def allows(self, channel: Text, sender: Text, now: Optional[float] = None) -> bool:
        """Count this message of ``sender`` unless the sender is over the limit (then False)."""
        if self.per_sender <= 0:
            return True
        moment = time.time() if now is None else now
        return self._counters.take(f"{channel}:{sender}", self.per_sender, WINDOW_S, moment)


@dataclass(frozen=True)
class AddressRefusal:
    """What a client over an address limit is told, and after how long to try again."""

    texts: Dict[Text, Text]
    retry_after_s: int

    def text(self, language: Optional[Text]) -> Text:
        """The answer in ``language``; in both languages when it is not known."""
        return self.texts.get(language or "") or f"{self.texts['id']}\n{self.texts['en']}"


NETWORK_BUSY = AddressRefusal({
    "id": "Maaf, Kak, dari jaringan Kakak sedang masuk banyak sekali pesan. Tunggu sebentar, lalu kirim lagi ya.",
    "en": "Sorry, a great many messages are coming from your network right now. "
          "Please wait a moment, then send yours again.",
}, retry_after_s=RETRY_AFTER_S)
NO_NEW_CONVERSATIONS = AddressRefusal({
    "id": "Maaf, Kak, dari jaringan Kakak sudah banyak sekali chat baru dalam sejam terakhir. "
          "Kalau sudah pernah chat dengan kami, lanjutkan saja di chat yang sama; kalau belum, coba lagi nanti ya.",
    "en": "Sorry, a great many new chats have come from your network in the last hour. If you are already "
          "chatting with us, carry on in that chat; otherwise please try again later.",
}, retry_after_s=300)


class AddressRate:
    """Messages per minute and new conversations per hour of one client address (see the module)."""

    def __init__(
        self,
        per_minute: Optional[int] = None,
        new_per_hour: Optional[int] = None,
        trusted_proxies: Optional[Text] = None,
        counters: Optional[Counters] = None,
        exempt: Optional[Text] = None,
    ) -> None:
        config = settings.load()
        self.per_minute = config.message_rate_per_address if per_minute is None else per_minute
        self.new_per_hour = config.new_conversations_per_address if new_per_hour is None else new_per_hour
        self.trusted = trusted_networks(config.trusted_proxies if trusted_proxies is None else trusted_proxies)
        self.exempt = trusted_networks(config.address_limits_exempt if exempt is None else exempt)
        self._counters = counters if counters is not None else counters_for("addresses")

    def address(self, request: Request) -> Text:
        """The client address ``request`` counts against."""
        return request_client_address(request, self.trusted)

    def refusal(self, address: Text, channel: Text, sender: Text, now: Optional[float] = None
                ) -> Optional[AddressRefusal]:
        """Count this message of ``sender`` from ``address``; why it is refused, or None when it may go on."""
        if is_within(address, self.exempt):
            return None
        moment = time.time() if now is None else now
        if self.per_minute > 0 and not self._counters.take(f"messages:{address}", self.per_minute, WINDOW_S, moment):
            return NETWORK_BUSY
        if self.new_per_hour > 0:
            conversation = hashlib.blake2b(f"{channel}:{sender}".encode(), digest_size=8).hexdigest()
            if not self._counters.take_distinct(
                    f"conversations:{address}", conversation, self.new_per_hour, NEW_CONVERSATIONS_WINDOW_S, moment):
                return NO_NEW_CONVERSATIONS
        return None
