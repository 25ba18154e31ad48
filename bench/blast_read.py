"""Benchmark: reading a 10,000-row blast list against a bare openpyxl read-only pass.

    make bench                      # or: .venv/bin/python -m bench.blast_read [--rows N]

Prints the best of several runs of each, their ratio (the target is at most 1.5) and the
reader's peak memory under tracemalloc (the target is under 100 MB). Every number is distinct,
the worst case for the reader (repeated numbers are worked out once).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time
import tracemalloc


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


def reader(data: bytes) -> int:
    from faxes.blast import recipient_list_read

    return recipient_list_read(io.BytesIO(data), limit=10**7).rows_read


def best(function, data: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drenfax_portal.settings")
    import django

    django.setup()
    data = workbook(args.rows)
    assert reader(data) == args.rows
    bare, ours = best(bare_pass, data, args.runs), best(reader, data, args.runs)
    tracemalloc.start()
    reader(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{args.rows:,} rows, {len(data) / 1024:.0f} KB workbook, best of {args.runs}")
    print(f"bare openpyxl read-only pass  {bare:.3f} s")
    print(f"recipient_list_read           {ours:.3f} s  ({ours / bare:.2f}x, target <= 1.5x)")
    print(f"peak memory (tracemalloc)     {peak / 1024 / 1024:.1f} MB (target < 100 MB)")


if __name__ == "__main__":
    main()
