"""Personal-data masking time against text length: this engine beside the one it replaced.

Two texts of 1, 5, 10, 20 and 50 kB: realistic support chat (Indonesian and
English lines, with phone numbers, e-mails, NIKs, accounts, addresses and
names sprinkled in, and the order numbers, prices and dates a chat also
holds), and the same chat where a quarter of the text is one pasted token
(a long link or code, the old engine's worst case). Each is masked several
times and the median CPU time is printed, with the time per kB, beside the engine of the commit named by ``--old`` (by
default the one before the rule-based engine was added, i.e. before
``cxm_store/pii_rules.py`` existed; read with ``git show`` into a temporary
module). Linear growth shows as a flat ms/kB column.

Prints figures only; no assertions.

    PYTHONPATH=. .venv/bin/python -m bench.pii_masking [--old REV] [--runs N]
"""
import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Optional

from cxm_store.pii import mask_pii

SIZES_KB = (1, 5, 10, 20, 50)
CHAT_LINES = [
    "halo kak, pesanan INV-2024-00123 saya belum sampai, sudah 5 hari",
    "nomor hp saya 0812-3456-7890 ya, atau wa ke +62 813 1111 2222",
    "Hi, my order was Rp 1.250.000 and it arrived damaged on 15/01/2024",
    "nama saya Budi Santoso, NIK 3174 0512 0890 0001",
    "tolong refund ke rek BCA 1234567890 a.n. Siti Rahmawati",
    "alamat: Jl. Merdeka No. 10, RT 02/RW 05, Kel. Gambir, Jakarta Pusat 10110.",
    "email saya budi.santoso@gmail.com atau budi (at) yahoo (dot) co (dot) id",
    "resi JP1234567890 statusnya masih di gudang, dikirim 08-12-2024 10:00",
    "you can reach me at (021) 555-1234 after 5 pm, thanks",
    "kode voucher HEMAT50 tidak bisa dipakai, total belanja 3 barang",
    "my name is John Smith, card 4111 1111 1111 1111 was charged twice",
    "ok makasih kak, ditunggu kabarnya",
]


def chat_text(kilobytes: int) -> str:
    """About ``kilobytes`` kB of chat lines, cut at a line end."""
    lines: List[str] = []
    size = 0
    while size < kilobytes * 1024:
        line = CHAT_LINES[len(lines) % len(CHAT_LINES)]
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def revision_before_rewrite() -> str:
    """The commit just before ``cxm_store/pii_rules.py`` was added (HEAD if it is not committed)."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "cxm_store/pii_rules.py"],
        capture_output=True, text=True,
    ).stdout.split()
    revision = f"{added[-1]}~" if added else "HEAD"
    return subprocess.run(
        ["git", "rev-parse", "--short", revision], capture_output=True, text=True
    ).stdout.strip() or revision


def pasted_token_text(kilobytes: int) -> str:
    """``kilobytes`` kB of chat text whose last quarter is one token with no space (a pasted link)."""
    chat = chat_text(kilobytes)[: kilobytes * 768]
    token = "https://shop.example/p?ref=" + "a1B2c3D4" * (kilobytes * 32)
    return (chat + "\n" + token)[: kilobytes * 1024]


def old_engine(revision: str) -> Optional[Callable[[str], str]]:
    """``mask_pii`` of ``cxm_store/pii.py`` at ``revision``, or None if git cannot show it."""
    try:
        source = subprocess.run(
            ["git", "show", f"{revision}:cxm_store/pii.py"], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"(old engine at {revision} not available: {error})", file=sys.stderr)
        return None
    path = Path(tempfile.mkdtemp()) / "pii_old.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pii_old", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.mask_pii


def median_ms(mask: Callable[[str], str], text: str, runs: int) -> float:
    """Median CPU time of this process (other work on a shared machine does not count)."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        mask(text)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", help="git revision of the engine to compare with")
    parser.add_argument("--runs", type=int, default=7, help="runs per size (the median is printed)")
    args = parser.parse_args()
    args.old = args.old or revision_before_rewrite()
    old = old_engine(args.old)
    print(f"| text | kB | new ms | new ms/kB | old ({args.old}) ms | old ms/kB |")
    print("|---|---|---|---|---|---|")
    for name, make in (("chat", chat_text), ("chat + pasted token", pasted_token_text)):
        for kilobytes in SIZES_KB:
            text = make(kilobytes)
            size = len(text.encode()) / 1024
            new_ms = median_ms(mask_pii, text, args.runs)
            old_ms = median_ms(old, text, args.runs) if old else float("nan")
            print(
                f"| {name} | {size:.0f} | {new_ms:.1f} | {new_ms / size:.2f} | {old_ms:.1f} | {old_ms / size:.2f} |"
            )


if __name__ == "__main__":
    main()
