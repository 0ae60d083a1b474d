"""What the synthetic history is made of: channels, topics and their weights, the lines people say.

The rhythm (hours in WIB, weekdays), the outcome mix and the lines per
language are tuned to look like a small Indonesian shop's support.
"""
from datetime import timedelta

from contract.vocabulary import ABANDONED, ESCALATED, RESOLVED, REST, TELEGRAM, UNRESOLVED, WEB

DEMO_PREFIX = "demo-"
AGENTS = ("rina", "budi", "sari", "dewi")
CHANNELS = ((WEB, 50), (TELEGRAM, 35), (REST, 15))
WIB = timedelta(hours=7)
BATCH = 50_000
# The console at ``end``: a handful waiting for minutes, a few with an agent.
WAITING = 3
WAITING_WINDOW_S = 15 * 60
WITH_AGENT_S = 2 * 3600

# (topic, weight, csat penalty: how much worse its CSAT is)
TOPICS = (
    ("check_order_status", 22, 0.0),
    ("faq/shipping_time", 9, 0.0),
    ("faq/shipping_cost", 7, 0.0),
    ("faq/returns", 6, 0.3),
    ("faq/refunds", 5, 0.5),
    ("faq/payment_methods", 6, 0.0),
    ("faq/vouchers", 5, 0.2),
    ("faq/warranty", 3, 0.2),
    ("faq/cancel_order", 4, 0.3),
    ("faq/change_address", 3, 0.1),
    ("faq/account_password", 3, 0.1),
    ("faq/store_hours_contacts", 3, 0.0),
    ("faq/product_availability", 4, 0.0),
    ("faq/delivery_late", 6, 1.4),
    ("faq/item_damaged", 3, 1.6),
    ("faq/wrong_item", 2, 1.2),
    ("complain", 4, 1.8),
    ("request_human", 5, 0.6),
)
OUTCOMES = ((RESOLVED, 62), (ESCALATED, 12), (ABANDONED, 21), (UNRESOLVED, 5))
# Hour of day in WIB -> relative traffic (quiet at night, peak 19-21).
HOURS_WIB = (2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 12, 11, 11, 11, 10, 10, 11, 13, 16, 17, 15, 10, 5)
WEEKDAYS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 0.6)  # Monday first

LINES = {
    "id": {
        "greet": ("halo", "hai kak", "selamat malam", "permisi min", "pagi kak"),
        "check_order_status": (
            "pesanan INV-2024-{n:05d} sudah sampai mana?", "cek status order {n:05d} dong",
            "paket saya kok belum dikirim ya", "resi pesanan saya apa ya kak",
        ),
        "faq/shipping_time": ("pengiriman ke Surabaya berapa hari?", "kirim ke Medan lama ga?"),
        "faq/shipping_cost": ("ongkir ke Bali berapa?", "ada gratis ongkir ga kak?"),
        "faq/returns": ("cara retur barang gimana?", "mau retur, ukurannya kekecilan"),
        "faq/refunds": ("refund saya kapan masuk?", "dana belum balik kak"),
        "faq/payment_methods": ("bisa bayar pakai OVO?", "bisa COD ga?", "bayar via VA BCA bisa?"),
        "faq/vouchers": ("voucher saya ga bisa dipakai", "kode promo ga valid kak"),
        "faq/warranty": ("garansi berapa lama?", "klaim garansi caranya gimana"),
        "faq/cancel_order": ("mau batalin pesanan", "cancel order bisa ga kak"),
        "faq/change_address": ("mau ganti alamat kirim", "alamat saya salah kak"),
        "faq/account_password": ("lupa password", "ga bisa login kak"),
        "faq/store_hours_contacts": ("toko buka jam berapa?", "nomor CS berapa?"),
        "faq/product_availability": ("sepatu ukuran 42 ready?", "stok warna hitam ada?"),
        "faq/delivery_late": ("paket saya telat 3 hari", "kok belum sampai juga sih"),
        "faq/item_damaged": ("barangnya rusak pas sampai", "layarnya retak kak"),
        "faq/wrong_item": ("barang yang dikirim salah", "warnanya beda dari pesanan"),
        "complain": ("pelayanannya lambat banget", "kecewa banget sama tokonya"),
        "request_human": ("mau bicara sama CS", "tolong sambungkan ke admin"),
        "thanks": ("makasih kak", "oke terima kasih", "siap, makasih"),
        "fallback": ("hmm gmn ya", "??", "asdf", "yg kmrn itu loh"),
        "bot": ("Baik kak, ini informasinya.", "Siap kak, saya bantu cek ya.",
                "Berikut caranya, kak.", "Mohon maaf atas ketidaknyamanannya, kak."),
        "bot_fallback": ("Maaf kak, saya belum paham. Bisa diulang?",),
        "agent": ("Halo kak, saya bantu cek dulu ya.", "Sudah saya proses ya kak.",
                  "Mohon ditunggu sebentar, kak."),
        "good": ("mantap, cepat responnya", "membantu sekali", "oke jelas"),
        "bad": ("lama banget nunggu admin", "jawabannya ga nyambung", "masalah belum selesai",
                "barang rusak belum diganti"),
    },
    "en": {
        "greet": ("hi", "hello", "good evening", "hey there"),
        "check_order_status": (
            "where is my order INV-2024-{n:05d}?", "status of order {n:05d} please",
            "my parcel hasn't shipped yet",
        ),
        "faq/shipping_time": ("how long is delivery to Jakarta?", "shipping time to Bandung?"),
        "faq/shipping_cost": ("how much is shipping to Bali?", "is shipping free?"),
        "faq/returns": ("how do I return an item?", "I want to return these shoes"),
        "faq/refunds": ("when will I get my refund?", "refund still not received"),
        "faq/payment_methods": ("can I pay by card?", "do you accept PayPal?"),
        "faq/vouchers": ("my voucher doesn't work", "promo code invalid"),
        "faq/warranty": ("how long is the warranty?", "how do I claim warranty"),
        "faq/cancel_order": ("I want to cancel my order", "can I cancel?"),
        "faq/change_address": ("I need to change my address", "wrong shipping address"),
        "faq/account_password": ("forgot my password", "can't log in"),
        "faq/store_hours_contacts": ("what are your opening hours?", "what's your phone number?"),
        "faq/product_availability": ("is size 42 in stock?", "do you have it in black?"),
        "faq/delivery_late": ("my delivery is 3 days late", "still not delivered"),
        "faq/item_damaged": ("the item arrived damaged", "screen is cracked"),
        "faq/wrong_item": ("I received the wrong item", "wrong colour sent"),
        "complain": ("this service is terrible", "very disappointed"),
        "request_human": ("let me talk to a human", "agent please"),
        "thanks": ("thanks", "thank you", "great, thanks"),
        "fallback": ("hmm", "??", "asdf", "that thing from yesterday"),
        "bot": ("Sure, here is the information.", "Let me check that for you.",
                "Here is how to do it.", "Sorry for the inconvenience."),
        "bot_fallback": ("Sorry, I didn't get that. Could you rephrase?",),
        "agent": ("Hi, let me look into this.", "Done, it's processed now.",
                  "Please hold on a moment."),
        "good": ("quick and helpful", "very clear, thanks", "great service"),
        "bad": ("waited too long for an agent", "answer didn't help", "still not solved",
                "damaged item not replaced yet"),
    },
}
REPEAT_WINDOW_S = 7 * 86400  # FCR: the same topic again within a week
