"""action_show_menu and action_clarify: topic buttons in the customer's language."""
import pytest

from action_helpers import message, parse_data, run_action
from actions.suggestions import (
    MENU_TOPICS,
    ActionClarify,
    ActionShowMenu,
    likeliest_topics,
    topic_button,
)

# Every button the tests expect, written out (not computed from TOPICS).
BUTTONS = {
    "id": {
        "check_order_status": {"title": "Cek status pesanan", "payload": "/check_order_status"},
        "request_human": {"title": "Bicara dengan CS", "payload": "/request_human"},
        "complain": {"title": "Sampaikan keluhan", "payload": "/complain"},
        "faq/shipping_time": {"title": "Lama pengiriman", "payload": "berapa lama pengiriman ke surabaya?"},
        "faq/returns": {"title": "Retur barang", "payload": "gimana cara retur barang?"},
        "faq/refunds": {"title": "Pengembalian dana", "payload": "kapan dana saya dikembalikan?"},
        "faq/payment_methods": {"title": "Metode pembayaran", "payload": "metode pembayaran apa saja yang tersedia"},
        "faq/vouchers": {"title": "Voucher & promo", "payload": "cara pakai voucher gimana?"},
        "faq/item_damaged": {"title": "Barang rusak", "payload": "barang saya datang dalam keadaan rusak"},
    },
    "en": {
        "check_order_status": {"title": "Check order status", "payload": "/check_order_status"},
        "request_human": {"title": "Talk to an agent", "payload": "/request_human"},
        "complain": {"title": "Make a complaint", "payload": "/complain"},
        "faq/shipping_time": {"title": "Delivery time", "payload": "how long does shipping take?"},
        "faq/returns": {"title": "Returns", "payload": "how do i return an item"},
        "faq/refunds": {"title": "Refunds", "payload": "when will i get my refund"},
        "faq/payment_methods": {"title": "Payment methods", "payload": "what payment methods do you accept"},
        "faq/vouchers": {"title": "Vouchers & promo codes", "payload": "how do i use a voucher"},
        "faq/item_damaged": {"title": "Damaged item", "payload": "my item arrived damaged"},
    },
}


def buttons(language, *topics):
    return [BUTTONS[language][t] for t in topics]


def selector(*ranking):
    """A ``response_selector`` block shaped like the trained model's parse output.

    (ResponseSelector with ``retrieval_intent: faq``; checked against
    models/serambi.tar.gz: keys ``all_retrieval_intents`` and ``faq``, ranking
    entries ``{"confidence", "intent_response_key"}``.)
    """
    top_key, top_confidence = ranking[0]
    return {
        "all_retrieval_intents": ["faq"],
        "faq": {
            "response": {
                "id": 1234,
                "responses": [{"text": "..."}],
                "response_templates": [{"text": "..."}],
                "confidence": top_confidence,
                "intent_response_key": top_key,
                "utter_action": f"utter_{top_key}",
                "template_name": f"utter_{top_key}",
            },
            "ranking": [
                {"confidence": confidence, "intent_response_key": key}
                for key, confidence in ranking
            ],
        },
    }


def fallback_parse(text, ranking, response_selector=None):
    """Parse data of a message the FallbackClassifier sent to ``nlu_fallback``."""
    extra = {"intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}
    if response_selector is not None:
        extra["response_selector"] = response_selector
    return parse_data(text, "nlu_fallback", ranking[0][1], **extra)


# The brief's example: faq/refunds scores 0.4 × 0.6 = 0.24, faq/returns 0.12,
# check_order_status 0.3; nlu_fallback and greet are not topics.
REFUND_OR_ORDER = fallback_parse(
    "uang saya kapan balik ya pesanan kemarin",
    [("nlu_fallback", 0.5), ("faq", 0.4), ("check_order_status", 0.3), ("greet", 0.2),
     ("complain", 0.05)],
    selector(("faq/refunds", 0.6), ("faq/returns", 0.3), ("faq/shipping_time", 0.1)),
)


def user_event(text, intent, confidence=0.9):
    return {
        "event": "user",
        "timestamp": 1767000000.0,
        "text": text,
        "parse_data": parse_data(text, intent, confidence),
        "input_channel": "rest",
        "message_id": f"m-{text}",
        "metadata": {},
    }


def conversation(*user_turns):
    """Events of a conversation whose user turns are ``(text, intent)``, answered by the bot."""
    events = [{"event": "action", "name": "action_session_start"},
              {"event": "session_started"},
              {"event": "action", "name": "action_listen"}]
    for text, intent in user_turns:
        events.append(user_event(text, intent))
        events.append({"event": "user_featurization", "use_text_for_featurization": False})
        events.append({"event": "action", "name": "action_clarify"})
        events.append({"event": "bot", "text": "...", "data": {}, "metadata": {}})
        events.append({"event": "action", "name": "action_listen"})
    return events[:-3]  # the latest turn is being answered now


# --- action_show_menu ------------------------------------------------------------

class TestShowMenu:
    def test_name(self):
        assert ActionShowMenu().name() == "action_show_menu"

    @pytest.mark.parametrize("language", ["id", "en"])
    def test_menu_in_slot_language(self, dispatcher, make_tracker, domain, language):
        tracker = make_tracker(
            slots={"language": language}, latest_message=parse_data("menu", "help", language=language)
        )

        assert run_action(ActionShowMenu(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [
            message(
                "utter_help",
                buttons=buttons(
                    language,
                    "check_order_status",
                    "faq/shipping_time",
                    "faq/returns",
                    "faq/payment_methods",
                    "request_human",
                ),
            )
        ]

    def test_menu_without_language_is_indonesian(self, dispatcher, make_tracker, domain):
        tracker = make_tracker(slots={"language": None}, latest_message=parse_data("help", "help"))

        assert run_action(ActionShowMenu(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [
            message("utter_help", buttons=[topic_button(t, "id") for t in MENU_TOPICS])
        ]
        assert dispatcher.messages[0]["buttons"][0] == BUTTONS["id"]["check_order_status"]


# --- likeliest_topics --------------------------------------------------------------

class TestLikeliestTopics:
    def test_faq_score_is_faq_times_selector_confidence(self):
        assert likeliest_topics(REFUND_OR_ORDER) == ["check_order_status", "faq/refunds"]
        # complain 0.05 > faq/shipping_time 0.4 × 0.1 = 0.04
        assert likeliest_topics(REFUND_OR_ORDER, count=5) == [
            "check_order_status", "faq/refunds", "faq/returns", "complain", "faq/shipping_time"
        ]

    def test_faq_topic_can_outrank_an_intent(self):
        parse = fallback_parse(
            "refund?",
            [("nlu_fallback", 0.5), ("faq", 0.45), ("check_order_status", 0.3)],
            selector(("faq/refunds", 0.9), ("faq/returns", 0.1)),
        )
        # faq/refunds 0.405 > check_order_status 0.3 > faq/returns 0.045
        assert likeliest_topics(parse) == ["faq/refunds", "check_order_status"]

    def test_non_topic_intents_are_skipped(self):
        parse = fallback_parse(
            "hmm kak",
            [("nlu_fallback", 0.5), ("greet", 0.45), ("affirm", 0.3), ("complain", 0.2),
             ("thanks", 0.15), ("request_human", 0.1)],
        )
        assert likeliest_topics(parse) == ["complain", "request_human"]

    def test_padded_from_menu_without_duplicates(self):
        parse = fallback_parse(
            "gmn ya",
            [("nlu_fallback", 0.5), ("greet", 0.3), ("check_order_status", 0.1)],
        )
        assert likeliest_topics(parse) == ["check_order_status", "faq/shipping_time"]

    def test_no_guess_gives_the_menu_head(self):
        assert likeliest_topics({"text": ""}) == ["check_order_status", "faq/shipping_time"]
        assert likeliest_topics({}, count=5) == list(MENU_TOPICS)

    def test_selector_ignored_when_faq_is_not_ranked(self):
        # UnknownWordsFallback replaces the ranking with nlu_fallback alone but
        # leaves the response selector's (noise) guesses in the parse data.
        parse = fallback_parse(
            "zzzz xxxx", [("nlu_fallback", 1.0)], selector(("faq/vouchers", 0.8))
        )
        assert likeliest_topics(parse) == ["check_order_status", "faq/shipping_time"]


# --- action_clarify --------------------------------------------------------------

class TestClarify:
    def test_name(self):
        assert ActionClarify().name() == "action_clarify"

    @pytest.mark.parametrize("language", ["id", "en"])
    def test_two_likeliest_topics(self, dispatcher, make_tracker, domain, language):
        tracker = make_tracker(
            slots={"language": language},
            latest_message=REFUND_OR_ORDER,
            events=conversation(("halo", "greet"), (REFUND_OR_ORDER["text"], "nlu_fallback")),
        )

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [
            message("utter_clarify", buttons=buttons(language, "check_order_status", "faq/refunds"))
        ]

    @pytest.mark.parametrize("language", ["id", "en"])
    def test_faq_topics_first_when_likelier(self, dispatcher, make_tracker, domain, language):
        latest = fallback_parse(
            "barang pecah mau balikin",
            [("nlu_fallback", 0.5), ("faq", 0.48), ("complain", 0.2), ("greet", 0.1)],
            selector(("faq/item_damaged", 0.7), ("faq/returns", 0.25), ("faq/refunds", 0.05)),
        )
        tracker = make_tracker(slots={"language": language}, latest_message=latest,
                               events=conversation(("barang pecah mau balikin", "nlu_fallback")))

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        # faq/item_damaged 0.336 > complain 0.2 > faq/returns 0.12
        assert dispatcher.messages == [
            message("utter_clarify", buttons=buttons(language, "faq/item_damaged", "complain"))
        ]

    @pytest.mark.parametrize("language", ["id", "en"])
    def test_too_few_candidates_padded_from_menu(self, dispatcher, make_tracker, domain, language):
        latest = fallback_parse(
            "voucher kok",
            [("nlu_fallback", 0.5), ("greet", 0.3), ("faq", 0.2), ("thanks", 0.1)],
            selector(("faq/vouchers", 1.0)),
        )
        tracker = make_tracker(slots={"language": language}, latest_message=latest,
                               events=conversation(("voucher kok", "nlu_fallback")))

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [
            message("utter_clarify", buttons=buttons(language, "faq/vouchers", "check_order_status"))
        ]

    @pytest.mark.parametrize("language", ["id", "en"])
    def test_unknown_words_get_the_menu(self, dispatcher, make_tracker, domain, language):
        latest = fallback_parse("zzzz xxxx", [("nlu_fallback", 1.0)], selector(("faq/vouchers", 0.8)))
        tracker = make_tracker(slots={"language": language}, latest_message=latest,
                               events=conversation(("zzzz xxxx", "nlu_fallback")))

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [
            message("utter_clarify", buttons=buttons(language, "check_order_status", "faq/shipping_time"))
        ]

    @pytest.mark.parametrize("language", ["id", "en"])
    @pytest.mark.parametrize("text", ["", "   ", "\n", None])
    def test_empty_message(self, dispatcher, make_tracker, domain, language, text):
        latest = fallback_parse(text, [("nlu_fallback", 0.5)])
        tracker = make_tracker(slots={"language": language}, latest_message=latest,
                               events=conversation((text, "nlu_fallback")))

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [
            message(
                "utter_empty_message",
                buttons=buttons(language, "check_order_status", "faq/shipping_time"),
            )
        ]

    @pytest.mark.parametrize("language", ["id", "en"])
    def test_second_miss_in_a_row_offers_a_person(self, dispatcher, make_tracker, domain, language):
        tracker = make_tracker(
            slots={"language": language},
            latest_message=REFUND_OR_ORDER,
            events=conversation(
                ("halo", "greet"),
                ("asdf qwer", "nlu_fallback"),
                (REFUND_OR_ORDER["text"], "nlu_fallback"),
            ),
        )

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [message("utter_offer_human")]

    def test_second_miss_also_when_latest_is_empty(self, dispatcher, make_tracker, domain):
        latest = fallback_parse("", [("nlu_fallback", 0.5)])
        tracker = make_tracker(
            latest_message=latest,
            events=conversation(("asdf", "nlu_fallback"), ("", "nlu_fallback")),
        )

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [message("utter_offer_human")]

    def test_understood_message_in_between_resets(self, dispatcher, make_tracker, domain):
        tracker = make_tracker(
            slots={"language": "en"},
            latest_message=REFUND_OR_ORDER,
            events=conversation(
                ("asdf qwer", "nlu_fallback"),
                ("how do i return an item", "faq"),
                (REFUND_OR_ORDER["text"], "nlu_fallback"),
            ),
        )

        assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
        assert dispatcher.messages == [
            message("utter_clarify", buttons=buttons("en", "check_order_status", "faq/refunds"))
        ]

    def test_first_message_of_the_conversation(self, dispatcher, make_tracker, domain):
        # Only one user turn (and a tracker with no events at all): nothing to compare.
        for events in (conversation((REFUND_OR_ORDER["text"], "nlu_fallback")), []):
            dispatcher.messages.clear()
            tracker = make_tracker(latest_message=REFUND_OR_ORDER, events=events)
            assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
            assert dispatcher.messages == [
                message("utter_clarify", buttons=buttons("id", "check_order_status", "faq/refunds"))
            ]


# --- An introduction is not a question -------------------------------------------

@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("halo kak, saya Budi Santoso dari Bekasi, no hp saya 081234567890", "id"),
        ("nama saya Rina, email rina.w@gmail.com", "id"),
        ("hi, my name is Sarah and my email is sarah@example.com", "en"),
    ],
)
def test_an_introduction_is_invited_to_ask_not_clarified(dispatcher, make_tracker, domain, text, language):
    latest = fallback_parse(text, [("nlu_fallback", 0.6), ("greet", 0.3)], selector(("faq/refunds", 0.5)))
    # Even after a miss: an introduction is no second failure to understand.
    tracker = make_tracker(slots={"language": language}, latest_message=latest,
                           events=conversation(("zzzz", "nlu_fallback"), (text, "nlu_fallback")))

    assert run_action(ActionClarify(), dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_how_can_i_help")]


@pytest.mark.parametrize(
    "text",
    ["kak barang saya belum sampai padahal sudah seminggu 081234567890", "0812345678901 bisa bantu?", "Budi"],
)
def test_a_message_with_more_than_an_introduction_is_clarified(dispatcher, make_tracker, domain, text):
    latest = fallback_parse(text, [("nlu_fallback", 0.6), ("greet", 0.3)], selector(("faq/refunds", 0.5)))
    tracker = make_tracker(latest_message=latest, events=conversation((text, "nlu_fallback")))

    run_action(ActionClarify(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_clarify"
