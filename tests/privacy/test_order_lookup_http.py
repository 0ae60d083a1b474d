"""Issue 12 over REST against the real stack: a stranger asking about someone else's order
hears its general status only; naming the order's contact shows its owner the tracking number."""
import uuid

TRACKING = "JNE1234567890"


def said(replies) -> str:
    return " ".join(r.get("text", "") for r in replies)


def test_a_stranger_gets_the_general_status_and_the_owner_the_details(chat):
    stranger = f"stranger-{uuid.uuid4().hex[:8]}"
    answer = said(chat(stranger, "pesanan INV-2024-00123 udh sampai mana?"))
    assert "INV-2024-00123" in answer and "dikirim" in answer
    assert TRACKING not in answer and "hanya kami berikan ke pemesan" in answer

    owner = f"owner-{uuid.uuid4().hex[:8]}"
    answer = said(chat(owner, "pesanan INV-2024-00123 udh sampai mana? no hp saya 081234567890"))
    assert TRACKING in answer
