"""Benchmark the e-mail key (accounts.emails): what it adds to a sign-in and to the migration.

Every sign-in computes the key of the typed address once or twice (user lookup, failed-login
counters), and migration accounts.0005 computes it once per existing account. Prints, for
`--addresses` generated addresses (ASCII, accented, and look-alike spellings): microseconds for
the first key of a fresh worker (empty per-character cache) and per key with a warm cache.

    .venv/bin/python bench/bench_email_key.py
    .venv/bin/python bench/bench_email_key.py --addresses 100000
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts import emails  # noqa: E402  (after the path is set)

SPELLINGS = (
    "cook.{n}@example.com",
    "Chef.{n}@Kitchen.Example.org",
    "jos\u00e9.{n}@caf\u00e9.example",
    "adm\u0131n.{n}@local",
    "\u0430dmin.{n}@local",
    "\uff43\uff4f\uff4f\uff4b.{n}@example.com",
)


def per_key_microseconds(addresses: list[str]) -> float:
    started = time.perf_counter()
    for address in addresses:
        emails.email_key(address)
    return (time.perf_counter() - started) / len(addresses) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    addresses = [SPELLINGS[n % len(SPELLINGS)].format(n=n) for n in range(args.addresses)]

    cold = []
    for n in range(args.repeats):
        emails._prototype.cache_clear()
        cold.append(per_key_microseconds([addresses[n]]))
    warm = [per_key_microseconds(addresses) for _ in range(args.repeats)]

    print(f"python {sys.version.split()[0]}, {args.addresses} addresses, {args.repeats} repeats")
    print(f"first key, empty character cache: {statistics.median(cold):8.1f} us")
    print(f"warm character cache:              {statistics.median(warm):8.1f} us a key")
    print(
        f"migration 0005 for {args.addresses} accounts (keys only): "
        f"{statistics.median(warm) * args.addresses / 1e6:.2f} s"
    )


if __name__ == "__main__":
    main()
