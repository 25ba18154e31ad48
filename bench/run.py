"""`make bench`: every benchmark, side by side in one run, as ratios to a baseline measured in
the same run. Prints the table, writes it to bench/results.md, exits 1 if a target is missed.

    python -m bench.run [--quick] [--only history,webhooks,...]

--quick runs smaller sizes (a check of the machinery, not figures to publish).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime

from bench.common import BASE_DIR, Row, database_urls, run_sub, sibling_database

SECTIONS = ["history", "browsing", "webhooks", "sync", "send", "blast", "coldstart"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SECTIONS))
    args = parser.parse_args()
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    started = time.perf_counter()
    rows: list[Row] = []
    failures: list[str] = []

    def section(name: str, module: str, *extra: str) -> None:
        print(f"--> {name}", flush=True)
        try:
            rows.extend(run_sub(module, *extra))
        except Exception as exc:  # report it and go on with the other benchmarks
            failures.append(f"{name}: {exc}")
            print(f"    failed: {exc}", file=sys.stderr, flush=True)

    faxes = "20000" if args.quick else "1000000"
    for label, url in database_urls():
        if "history" in wanted:
            section(
                f"history ({label})",
                "history",
                "--db",
                url,
                "--label",
                label,
                "--faxes",
                faxes,
                "--repeat",
                "10" if args.quick else "50",
            )
        if label != "PostgreSQL":
            continue
        if "browsing" in wanted:
            # The history's database, seeded once for both.
            section(
                f"browsing ({label})",
                "browsing",
                *("--db", url, "--label", label, "--faxes", faxes),
                *("--seconds", "5" if args.quick else "30"),
            )
        if "webhooks" in wanted:
            section(
                f"webhooks ({label})",
                "webhooks",
                *("--db", sibling_database(url, "webhooks")),
                *("--seconds", "5" if args.quick else "15"),
            )
    if {"browsing", "webhooks"} & set(wanted) and "PostgreSQL" not in dict(database_urls()):
        rows.append(
            Row(
                "Under gunicorn",
                "browsing and webhooks not measured: they need DATABASE_URL on PostgreSQL",
                None,
                None,
                "",
                "",
                kind="info",
            )
        )
    if "sync" in wanted:
        # The real limit (8 a minute) in full: 10 calls span two windows, about a minute.
        quick = ["--faxes", "2000", "--rate", "8/5"]
        section("sync", "sync", *(quick if args.quick else ["--faxes", "5000"]))
    if "send" in wanted:
        section("send", "send")
    if "blast" in wanted:
        section("blast", "blast", "--rows", "2000" if args.quick else "10000")
    if "coldstart" in wanted:
        section("cold start", "coldstart")

    table = render(rows, failures, elapsed=time.perf_counter() - started, quick=args.quick)
    print()
    print(table)
    if not args.quick:
        (BASE_DIR / "bench" / "results.md").write_text(table + "\n")
    missed = [r for r in rows if r.ok is False]
    return 1 if missed or failures else 0


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit in ("calls", "deliveries", "responses"):
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}" if abs(value) >= 10 else f"{value:.2f} {unit}"


def render(rows: list[Row], failures: list[str], *, elapsed: float, quick: bool) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node() or 'this machine'}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"the whole run took {elapsed / 60:.1f} min{' (quick sizes)' if quick else ''}.",
        "Every figure is compared with a baseline measured in the same run.",
        "",
    ]
    current = None
    for row in rows:
        if row.section != current:
            current = row.section
            lines += [
                "",
                f"## {current}",
                "",
                "| figure | value | baseline | ratio | target | met |",
                "|---|---|---|---|---|---|",
            ]
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "–"
        met = {True: "yes", False: "**NO**", None: "–"}[row.ok]
        name = row.name + (f" ({row.note})" if row.note else "")
        lines.append(
            f"| {name} | {_fmt(row.figure, row.unit)} | {_fmt(row.baseline, row.unit)} | "
            f"{ratio} | {row.target} | {met} |"
        )
    if failures:
        lines += ["", "## Benchmarks that did not run", ""]
        lines += [f"- {f.splitlines()[0]}" for f in failures]
    missed = [r for r in rows if r.ok is False]
    if missed:
        verdict = f"**{len(missed)} target(s) missed.**"
    else:
        verdict = "**Some benchmarks did not run.**" if failures else "**Every target met.**"
    lines += ["", verdict]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
