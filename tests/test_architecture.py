"""The walls between Tidings' packages, checked by reading every module's imports (nothing is imported to do it).

- The worker is a process of its own: nothing outside `service/worker/` imports `service.worker`, except the
  command that starts that process. What the web, the claims check or a test send need from a send (the email as
  it goes out, the posts of a thread, the links) is built in `service/outgoing/`.
- Domain code knows nothing of Flask. The modules allowed to import `flask` (or a `flask_*` extension) are the
  shells that run the domain inside an app: the app factory and its extensions, the CLI, the web blueprints, the
  commands, and the worker's scheduler (it runs each job in an app context). Every other module under `service/` is
  domain code.
"""

import ast
from pathlib import Path

from service.settings import REPO_ROOT

SERVICE = REPO_ROOT / "service"

# Shells around the domain, which may import Flask: files, or folders (every module under them).
FLASK_SHELLS = (
    "service/__init__.py",
    "service/extensions.py",
    "service/cli.py",
    "service/web/",
    "service/commands/",
    "service/worker/scheduler.py",
)
# Outside the worker, only the command that starts the worker process may import it.
WORKER_ENTRY_POINTS = ("service/commands/worker.py",)


def _modules() -> list[Path]:
    return sorted(SERVICE.rglob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def _package_of(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (late imports too), relative imports resolved."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(path).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _is_under(relative: str, places: tuple[str, ...]) -> bool:
    return any(relative == place or (place.endswith("/") and relative.startswith(place)) for place in places)


def _imports_flask(module: str) -> bool:
    top = module.split(".")[0]
    return top == "flask" or top.startswith("flask_")


def test_the_import_walk_sees_plain_from_and_relative_imports():
    assert "service.worker.claims" in imported_modules(SERVICE / "worker" / "dispatch.py")
    assert "flask" in imported_modules(SERVICE / "web" / "campaigns.py")
    assert "itsdangerous" in imported_modules(SERVICE / "outgoing" / "links.py")
    relative = [path for path in _modules() if "from ." in path.read_text(encoding="utf-8")]
    for path in relative:
        assert not any(name.startswith(".") for name in imported_modules(path)), _relative(path)


def test_nothing_outside_the_worker_imports_it():
    offenders = [
        f"{_relative(path)} imports {module}"
        for path in _modules()
        if not _relative(path).startswith("service/worker/") and not _is_under(_relative(path), WORKER_ENTRY_POINTS)
        for module in sorted(imported_modules(path))
        if module == "service.worker" or module.startswith("service.worker.")
    ]
    assert offenders == [], "only the worker imports the worker; build what goes out in service/outgoing/"


def test_no_domain_module_imports_flask():
    offenders = [
        f"{_relative(path)} imports {module}"
        for path in _modules()
        if not _is_under(_relative(path), FLASK_SHELLS)
        for module in sorted(imported_modules(path))
        if _imports_flask(module)
    ]
    assert offenders == [], "domain code takes plain values (config mappings, models), never Flask's"


def test_every_allowed_place_exists():
    # A renamed module must not silently widen or narrow the walls.
    for place in FLASK_SHELLS + WORKER_ENTRY_POINTS:
        assert (REPO_ROOT / place).exists(), place
