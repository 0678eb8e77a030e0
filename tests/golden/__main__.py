"""``python -m tests.golden [--update]``: check or regenerate the golden design files."""

from __future__ import annotations

import argparse
import sys

from tests.golden import FOLDER, HOW_TO_UPDATE, diff, expected_files, render


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
    parser.add_argument(
        "--update", action="store_true", help="rewrite every golden file from today's code"
    )
    args = parser.parse_args(argv)
    wanted = expected_files()
    stale = sorted(
        p.name for p in FOLDER.iterdir() if p.suffix in (".md", ".json") and p.name not in wanted
    )
    if args.update:
        for file_name, (name, suffix) in sorted(wanted.items()):
            text = render(name, suffix)
            (FOLDER / file_name).write_text(text, encoding="utf-8", newline="\n")
        for file_name in stale:
            (FOLDER / file_name).unlink()
        print(f"wrote {len(wanted)} golden files to tests/golden/", file=sys.stderr)
        return 0
    changed = [f for f, (n, s) in sorted(wanted.items()) if diff(n, s) is not None]
    for file_name in changed + stale:
        print(f"differs: tests/golden/{file_name}", file=sys.stderr)
    if changed or stale:
        print(HOW_TO_UPDATE, file=sys.stderr)
        return 1
    print(f"all {len(wanted)} golden files agree", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
