"""`make docs`: generate dbt's documentation site into target/.

dbt reads column types for the site from a built database. It is given a copy of the
published warehouse, so the published file is never opened for writing; when nothing is
published yet, the pipeline runs first.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from scripts.pipeline import RunPaths, parse_args, print_line, run


def generate_docs(paths: RunPaths) -> Path | None:
    """Write the site into `paths.target_dir`; return its index, or None when dbt failed."""
    from scripts.dbt_build import DbtProject

    scratch = paths.target_dir / "docs" / paths.warehouse.published.name
    scratch.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.warehouse.published, scratch)
    try:
        result = DbtProject(paths.project_dir, scratch, paths.target_dir).invoke("docs", "generate", "--static")
    finally:
        scratch.unlink(missing_ok=True)
    if not result.success:
        print_line(f"dbt docs generate failed: {result.error}")
        return None
    return paths.target_dir / "index.html"


def main(argv: list[str] | None = None) -> int:
    paths, _ = parse_args(argv)
    if not paths.warehouse.published.exists():
        print_line("Nothing is published yet: running the pipeline first.")
        exit_code = run(paths)
        if exit_code:
            return exit_code
    index = generate_docs(paths)
    if index is None:
        return 1
    print_line(f"Documentation site: {index} (one-file version: {index.with_name('static_index.html')})")
    print_line(f"Serve it with: .venv/bin/dbt docs serve --profiles-dir . --target-path {paths.target_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
