"""Entry point: ``python -m benchmarks [--quick] [name ...]`` prints one table."""
from __future__ import annotations

import argparse
import importlib
import math
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list:
    here = Path(__file__).parent
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)])
                  if m.name.startswith("bench_"))


def format_table(rows) -> str:
    def fmt(v):
        if isinstance(v, float):
            return "-" if math.isnan(v) else (f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}")
        return str(v)

    cols = ["benchmark", "reference", "ref_s", "mssedu_s", "ratio", "note"]
    cells = [[fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) if cells else len(c) for i, c in enumerate(cols)]
    line = " | ".join(c.ljust(w) for c, w in zip(cols, widths))
    out = [line, "-+-".join("-" * w for w in widths)]
    out += [" | ".join(x.ljust(w) for x, w in zip(r, widths)) for r in cells]
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(available())}")
    p.add_argument("--quick", action="store_true", help="smaller inputs (a smoke run)")
    args = p.parse_args(argv)
    names = args.names or available()
    unknown = set(names) - set(available())
    if unknown:
        p.error(f"unknown benchmark(s) {sorted(unknown)}; available: {available()}")
    rows, failed = [], 0
    for name in names:
        t0 = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            mod = importlib.import_module(f"benchmarks.bench_{name}")
            rows += mod.run(quick=args.quick)
        except Exception as err:  # keep going: one broken benchmark must not hide the rest
            failed += 1
            rows.append({"benchmark": name, "reference": "", "ref_s": float("nan"),
                         "mssedu_s": float("nan"), "ratio": float("nan"),
                         "note": f"FAILED: {type(err).__name__}: {err}"})
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(format_table(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
