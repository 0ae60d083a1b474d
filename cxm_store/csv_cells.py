"""Text cells of every CSV the app writes, made safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``,
``+``, ``-`` or ``@`` (and, after a tab or carriage return, whatever
follows) as a formula: a customer who types ``=HYPERLINK("http://evil",
"klik")`` in a chat would get a live link, or worse, into a lead's export.
Such text cells get a leading ``'`` (OWASP's advice), which spreadsheets
show as plain text. Numbers are written by the exporters themselves and are
left alone, so ``-0.05`` stays a number.
"""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows and never evaluates."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
