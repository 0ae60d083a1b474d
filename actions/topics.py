"""Topics the assistant can suggest when it is unsure what the customer meant."""
from typing import Dict, NamedTuple


class Topic(NamedTuple):
    """A topic as a customer sees it on a suggestion button.

    Attributes:
        label: Short button title per language code ("id", "en").
        question: A question from the training data that the assistant answers
            with this topic, per language; sent back as the button's payload.
    """

    label: Dict[str, str]
    question: Dict[str, str]


# Keys are retrieval intents' full names (``faq/<topic>``) or plain intent
# names. Each faq ``question`` is copied verbatim from data/nlu/faq_*.yml.
TOPICS: Dict[str, Topic] = {
    "faq/shipping_time": Topic(
        label={"id": "Lama pengiriman", "en": "Delivery time"},
        question={
            "id": "berapa lama pengiriman ke surabaya?",
            "en": "how long does shipping take?",
        },
    ),
    "faq/shipping_cost": Topic(
        label={"id": "Ongkos kirim", "en": "Shipping cost"},
        question={"id": "berapa ongkir ke surabaya?", "en": "how much is shipping?"},
    ),
    "faq/returns": Topic(
        label={"id": "Retur barang", "en": "Returns"},
        question={"id": "gimana cara retur barang?", "en": "how do i return an item"},
    ),
    "faq/refunds": Topic(
        label={"id": "Pengembalian dana", "en": "Refunds"},
        question={
            "id": "kapan dana saya dikembalikan?",
            "en": "when will i get my refund",
        },
    ),
    "faq/payment_methods": Topic(
        label={"id": "Metode pembayaran", "en": "Payment methods"},
        question={
            "id": "metode pembayaran apa saja yang tersedia",
            "en": "what payment methods do you accept",
        },
    ),
    "faq/vouchers": Topic(
        label={"id": "Voucher & promo", "en": "Vouchers & promo codes"},
        question={"id": "cara pakai voucher gimana?", "en": "how do i use a voucher"},
    ),
    "faq/warranty": Topic(
        label={"id": "Garansi", "en": "Warranty"},
        question={"id": "cara klaim garansi gimana", "en": "how do i claim warranty"},
    ),
    "faq/cancel_order": Topic(
        label={"id": "Batalkan pesanan", "en": "Cancel an order"},
        question={
            "id": "saya mau membatalkan pesanan",
            "en": "how do i cancel my order",
        },
    ),
    "faq/change_address": Topic(
        label={"id": "Ubah alamat", "en": "Change address"},
        question={
            "id": "bisa ganti alamat pengiriman?",
            "en": "can i change my delivery address",
        },
    ),
    "faq/account_password": Topic(
        label={"id": "Akun & kata sandi", "en": "Account & password"},
        question={"id": "saya lupa kata sandi", "en": "i forgot my password"},
    ),
    "faq/store_hours_contacts": Topic(
        label={"id": "Jam buka & kontak", "en": "Hours & contacts"},
        question={
            "id": "cs buka jam berapa",
            "en": "what are your customer service hours",
        },
    ),
    "faq/product_availability": Topic(
        label={"id": "Ketersediaan stok", "en": "Product availability"},
        question={"id": "stoknya masih ada?", "en": "is this item in stock"},
    ),
    "faq/delivery_late": Topic(
        label={"id": "Paket terlambat", "en": "Late delivery"},
        question={
            "id": "pesanan saya telat, belum sampai juga",
            "en": "my order is late",
        },
    ),
    "faq/item_damaged": Topic(
        label={"id": "Barang rusak", "en": "Damaged item"},
        question={
            "id": "barang saya datang dalam keadaan rusak",
            "en": "my item arrived damaged",
        },
    ),
    "faq/wrong_item": Topic(
        label={"id": "Barang salah kirim", "en": "Wrong item received"},
        question={
            "id": "saya terima barang yang bukan saya pesan",
            "en": "i received the wrong item",
        },
    ),
    "check_order_status": Topic(
        label={"id": "Cek status pesanan", "en": "Check order status"},
        question={"id": "cek status pesanan saya", "en": "check my order status"},
    ),
    "request_human": Topic(
        label={"id": "Bicara dengan CS", "en": "Talk to an agent"},
        question={
            "id": "saya mau bicara dengan CS",
            "en": "I want to talk to an agent",
        },
    ),
    "complain": Topic(
        label={"id": "Sampaikan keluhan", "en": "Make a complaint"},
        question={"id": "saya mau komplain", "en": "I want to make a complaint"},
    ),
}
