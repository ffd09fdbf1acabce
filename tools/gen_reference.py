"""Write the field reference and JSON Schemas of the config files from the pydantic models.

    python tools/gen_reference.py            # writes docs/reference/*.md, docs/schemas/*.json
    python tools/gen_reference.py --check    # exit 1 and name the stale files; writes nothing

Run it after changing a model in schema.py, simulations/schema.py or autoscaler/schema.py;
tests/test_reference.py fails while the written files differ from the models.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tierplan.reference import KINDS, json_schema_text, markdown  # noqa: E402


def outputs() -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    files: dict[Path, str] = {}
    for kind in KINDS:
        files[ROOT / "docs" / "reference" / f"{kind}.md"] = markdown(kind)
        files[ROOT / "docs" / "schemas" / f"{kind}.schema.json"] = json_schema_text(kind)
    return files


def stale() -> list[Path]:
    return [p for p, text in outputs().items()
            if not p.is_file() or p.read_text(encoding="utf-8") != text]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args()
    if args.check:
        old = stale()
        for p in old:
            print(f"stale: {p.relative_to(ROOT)}")
        return 1 if old else 0
    for path, text in outputs().items():
        _write(path, text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
