#!/usr/bin/env python3
"""Builds default_fee_schedule.tsv from the CMS Physician Fee Schedule RVU file (RVU24C).

    python3 make_default_fee_schedule.py /work/shared/data/pfs/rvu.tsv > default_fee_schedule.tsv

charge_cents = round_half_up(nonfacility_total_rvu * conversion_factor * MULTIPLIER * 100), in exact
decimal arithmetic, for every (code, modifier) row whose non-facility total RVU is above zero.
Only code numbers and modifiers are written: no descriptions (CPT descriptors are AMA-licensed).
"""
import csv
import sys
from decimal import ROUND_HALF_UP, Decimal

MULTIPLIER = Decimal("2.5")


def main(path):
    rows = []
    cf_seen = set()
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            total = Decimal(r["nonfacility_total"] or "0")
            if total <= 0:
                continue
            cf = Decimal(r["conversion_factor"])
            cf_seen.add(cf)
            cents = (total * cf * MULTIPLIER * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
            rows.append((r["code"], r["modifier"], int(cents)))
    if len(cf_seen) != 1:
        sys.exit(f"expected one conversion factor, found {sorted(cf_seen)}")
    (cf,) = cf_seen
    rows.sort()
    out = sys.stdout
    out.write("# Default fee schedule (billed charges) for tenants without their own.\n")
    out.write("# Source: CMS Medicare Physician Fee Schedule, July 2024 release (RVU24C), public domain.\n")
    out.write(f"# charge_cents = round_half_up(non-facility total RVU x conversion factor {cf} x multiplier {MULTIPLIER} x 100)\n")
    out.write("# Rows: every (code, modifier) with a non-facility total RVU above zero. Code numbers only: no descriptions.\n")
    out.write("# Made by make_default_fee_schedule.py; see SOURCES.md.\n")
    out.write("procedure_code\tmodifier\tcharge_cents\n")
    for code, modifier, cents in rows:
        out.write(f"{code}\t{modifier}\t{cents}\n")


if __name__ == "__main__":
    main(sys.argv[1])
