"""Move pins appended to a lock file by hand (`# added by <branch>` blocks) into its .in file, for `make lock`.

Engineers working in parallel add a dependency as `name==version` lines at the end of requirements.txt under a
`# added by <branch>` comment. Such lines have no hashes, so the lock cannot be installed until they are moved into
requirements.in and the lock is recompiled; `make lock` runs this first, then recompiles.

Usage: python tools/adopt_added_pins.py requirements.txt:requirements.in [requirements-dev.txt:requirements-dev.in]
"""

import sys
from pathlib import Path

MARKER = "# added by "


def adopt(lock: Path, source: Path) -> list[str]:
    """Cut everything from the first `# added by` line to the end of `lock` and append it to `source`."""
    lines = lock.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((index for index, line in enumerate(lines) if line.startswith(MARKER)), None)
    if start is None:
        return []
    added = lines[start:]
    text = source.read_text(encoding="utf-8")
    source.write_text(text + ("" if text.endswith("\n") else "\n") + "".join(added), encoding="utf-8")
    lock.write_text("".join(lines[:start]), encoding="utf-8")
    return [line.strip() for line in added if line.strip() and not line.startswith("#")]


def main(pairs: list[str]) -> None:
    for pair in pairs:
        lock, source = (Path(part) for part in pair.split(":"))
        for requirement in adopt(lock, source):
            print(f"{lock} -> {source}: {requirement}")


if __name__ == "__main__":
    main(sys.argv[1:])
