#!/usr/bin/env python3
"""Keeps the generated parts of the docs equal to what the binary prints.

Each plugins/<name>/README.md holds its config-key table between the lines
`<!-- config-keys:begin -->` and `<!-- config-keys:end -->`; the table is what
`memolib-gateway plugins --format md-keys --plugin <name>` prints for the built plugin.

    scripts/sync_docs.py BUILD_DIR           rewrite the tables
    scripts/sync_docs.py BUILD_DIR --check   exit 1, naming each stale file (CTest runs this)
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- config-keys:begin -->\n)(.*?)(<!-- config-keys:end -->)", re.S)


def generated_table(build: pathlib.Path, plugin: str) -> str:
    result = subprocess.run(
        [str(build / "bin" / "memolib-gateway"), "plugins", "-d", str(build / "plugins"),
         "--format", "md-keys", "--plugin", plugin],
        capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout:
        sys.exit(f"cannot list plugin {plugin}: {result.stderr.strip()}")
    return result.stdout


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = pathlib.Path(sys.argv[1]).resolve()
    check = "--check" in sys.argv[2:]
    stale = []
    for readme in sorted(ROOT.glob("plugins/*/README.md")):
        text = readme.read_text()
        if not BLOCK.search(text):
            continue
        plugin = readme.parent.name
        if not (build / "plugins" / f"{plugin}.so").exists():
            stale.append(f"{readme.relative_to(ROOT)}: plugin {plugin} is not built")
            continue
        table = generated_table(build, plugin)
        updated = BLOCK.sub(lambda m: m.group(1) + table + m.group(3), text)
        if updated != text:
            stale.append(str(readme.relative_to(ROOT)))
            if not check:
                readme.write_text(updated)
    if check and stale:
        print("generated docs are stale (run scripts/sync_docs.py <build dir>):")
        for s in stale:
            print("  " + s)
        return 1
    for s in stale:
        print(("stale: " if check else "updated: ") + s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
