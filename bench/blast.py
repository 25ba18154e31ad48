"""Reading a blast recipient list against a bare openpyxl read-only pass over the same file.

python -m bench.blast [--rows 10000] [--repeat 7]

The workbook has one header and `rows` distinct numbers in three spellings (numbers stored
as numbers, "(206) 555-0100", "+1 206 555 0100"): the worst case for the reader, which works
each distinct value out once. Both sides read the same bytes from memory; the figure is the
best of `repeat` runs of each, and the reader's peak memory is measured apart (tracemalloc).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time
import tracemalloc

from bench.common import BENCH_VAR, Row, emit


def workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    rng = random.Random(10)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Recipients")
    sheet.append(["Fax Number", "Recipient Name"])
    seen: set[str] = set()
    while len(seen) < rows:
        digits = f"{rng.choice(['206', '212', '312', '415', '617'])}{rng.randint(200, 999)}"
        digits += f"{rng.randint(0, 9999):04d}"
        if digits in seen:
            continue
        seen.add(digits)
        shape = len(seen) % 3
        if shape == 0:
            cell: object = float(digits)
        elif shape == 1:
            cell = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        else:
            cell = f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}"
        sheet.append([cell, f"Clinic {len(seen)}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bare_pass(data: bytes) -> int:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


def reader(data: bytes, rows: int) -> int:
    from faxes.spreadsheets import recipient_list_read

    return len(recipient_list_read(io.BytesIO(data), limit=max(rows, 1)).recipients)


def best_of_each(fns, repeat: int) -> list[float]:
    """The best time of each function, run in turns (a, b, a, b, ...) so that the machine's
    noise weighs on both alike."""
    for fn in fns:
        fn()  # warm up (imports, phonenumbers' metadata)
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, samples, strict=True):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return [min(times) for times in samples]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("PORTAL_VAR_DIR", str(BENCH_VAR / "portal"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    data = workbook(args.rows)
    assert reader(data, args.rows) == args.rows
    bare, ours = best_of_each(
        [lambda: bare_pass(data), lambda: reader(data, args.rows)], args.repeat
    )
    tracemalloc.start()
    reader(data, args.rows)
    peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    tracemalloc.stop()
    section = f"Blast list of {args.rows:,} rows"
    emit(
        [
            Row(
                section,
                "read, check and normalise (vs a bare openpyxl read-only pass)",
                ours * 1000,
                bare * 1000,
                "ms",
                "\u2264 1.5\u00d7 the bare pass",
                limit=1.5,
                note=f"{len(data) / 1024:.0f} KB workbook, best of {args.repeat}, in turns",
            ),
            Row(
                section,
                "peak memory of the reading (tracemalloc)",
                peak,
                None,
                "MB",
                "< 100 MB",
                kind="max",
                limit=100,
            ),
        ]
    )


if __name__ == "__main__":
    main()
