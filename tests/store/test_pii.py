"""PII masking: each kind is masked, order numbers, prices and dates are not."""
import pytest

from cxm_store.pii import mask_pii


@pytest.mark.parametrize(
    "text, expected",
    [
        ("email budi.santoso@gmail.co.id ya", "email [email] ya"),
        ("Reach me: Jane_Doe+cs@example.com.", "Reach me: [email]."),
        ("wa 081234567890", "wa [phone]"),
        ("hp saya 0812-3456-7890", "hp saya [phone]"),
        ("0812 3456 789 ya", "[phone] ya"),
        ("+62 812 3456 7890", "[phone]"),
        ("+62-812-3456-7890", "[phone]"),
        ("62812345678901", "[phone]"),
        ("call +1 (415) 555-2671", "call [phone]"),
        ("+44 20 7946 0958", "[phone]"),
        ("kartu 4111 1111 1111 1111", "kartu [card]"),
        ("4111-1111-1111-1111", "[card]"),
        ("4111111111111111", "[card]"),
        ("amex 3782 822463 10005", "amex [card]"),
        ("NIK 3201234508900001", "NIK [nik]"),
        # A woman's NIK: 40 is added to her birth day (55 = the 15th).
        ("nik: 3171015505950003.", "nik: [nik]."),
        ("a@b.co dan 0811-222-3333", "[email] dan [phone]"),
    ],
)
def test_masks_personal_data(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order INV-2024-00123 belum sampai",
        "inv 2024 123",
        "INV/2024/00123",
        "harganya Rp150.000",
        "Rp 1.500.000,00 total",
        "Rp62.812.345",
        "Rp 150000",
        "dikirim 08-12-2024 10:00",
        "2024-01-15",
        "15/01/2024",
        "tracking JNE1234567890",
        "3 barang, 2 hari lagi",
        # Not Luhn-valid: a mistyped card is not a card number.
        "4111 1111 1111 1112",
    ],
)
def test_leaves_business_data_alone(text):
    assert mask_pii(text) == text


def test_empty_text():
    assert mask_pii("") == ""
    assert mask_pii(None) == ""
