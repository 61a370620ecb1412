#!/usr/bin/env python3
"""Keeps the generated parts of the docs equal to what the binary prints.

- Each plugins/<name>/README.md holds its config-key table between the lines
  `<!-- config-keys:begin -->` and `<!-- config-keys:end -->`: what
  `memolib-gateway plugins --format md-keys --plugin <name>` prints for the built plugin.
- docs/configuration.md holds the gateway's keys between `<!-- config-reference:begin -->` and
  `<!-- config-reference:end -->` (what `memolib-gateway schema --format md` prints), and every
  plugin's table between `<!-- plugin-keys:begin -->` and `<!-- plugin-keys:end -->`.

    scripts/sync_docs.py BUILD_DIR           rewrite them
    scripts/sync_docs.py BUILD_DIR --check   exit 1, naming each stale file (CTest runs this)
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIGURATION = ROOT / "docs" / "configuration.md"


def block(name: str) -> re.Pattern:
    return re.compile(r"(<!-- %s:begin -->\n)(.*?)(<!-- %s:end -->)" % (name, name), re.S)


README_BLOCK = block("config-keys")
REFERENCE_BLOCK = block("config-reference")
PLUGINS_BLOCK = block("plugin-keys")


def run_gateway(build: pathlib.Path, *args: str) -> str:
    result = subprocess.run([str(build / "bin" / "memolib-gateway"), *args],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout:
        sys.exit(f"memolib-gateway {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def plugin_table(build: pathlib.Path, plugin: str) -> str:
    return run_gateway(build, "plugins", "-d", str(build / "plugins"), "--format", "md-keys",
                       "--plugin", plugin)


def documented_plugins() -> list:
    """The plugins of this repository whose README embeds a generated table."""
    return [readme for readme in sorted(ROOT.glob("plugins/*/README.md"))
            if README_BLOCK.search(readme.read_text())]


def replace(pattern: re.Pattern, text: str, content: str) -> str:
    return pattern.sub(lambda m: m.group(1) + content + m.group(3), text)


def sync(path: pathlib.Path, updated: str, check: bool, stale: list) -> None:
    if updated != path.read_text():
        stale.append(str(path.relative_to(ROOT)))
        if not check:
            path.write_text(updated)


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = pathlib.Path(sys.argv[1]).resolve()
    check = "--check" in sys.argv[2:]
    stale = []
    plugin_sections = []
    for readme in documented_plugins():
        plugin = readme.parent.name
        if not (build / "plugins" / f"{plugin}.so").exists():
            stale.append(f"{readme.relative_to(ROOT)}: plugin {plugin} is not built")
            continue
        table = plugin_table(build, plugin)
        sync(readme, replace(README_BLOCK, readme.read_text(), table), check, stale)
        plugin_sections.append(f"### {plugin}\n\n[plugins/{plugin}/README.md]"
                               f"(../plugins/{plugin}/README.md)\n\n{table}")

    text = CONFIGURATION.read_text()
    for name, pattern in (("config-reference", REFERENCE_BLOCK), ("plugin-keys", PLUGINS_BLOCK)):
        if not pattern.search(text):
            stale.append(f"docs/configuration.md: the {name} markers are missing")
    updated = replace(REFERENCE_BLOCK, text, run_gateway(build, "schema", "--format", "md"))
    updated = replace(PLUGINS_BLOCK, updated, "\n".join(plugin_sections))
    sync(CONFIGURATION, updated, check, stale)

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
