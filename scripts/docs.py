"""`make docs`: generate dbt's documentation site into target/.

dbt reads column types for the site from built databases. It is given copies of the current
release's two files (the marts and the build database), so the published release is never
opened for writing; when nothing is published yet, the pipeline runs first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from scripts.pipeline import print_line, run
from scripts.settings import RunPaths


def generate_docs(paths: RunPaths) -> Path | None:
    """Write the site into `paths.target_dir`; return its index, or None when dbt failed."""
    from scripts.dbt_build import DbtProject

    release = paths.warehouse.current_release
    scratch = paths.target_dir / "docs"
    scratch.mkdir(parents=True, exist_ok=True)
    marts, build = scratch / release.marts_name, scratch / release.build_name
    for source, copy in ((release.marts_database, marts), (release.build_database, build)):
        shutil.copyfile(source, copy)  # copyfile, not copy: the copy is writable, the release is not
    try:
        result = DbtProject(paths.project_dir, build, marts, paths.target_dir).invoke("docs", "generate", "--static")
    finally:
        marts.unlink(missing_ok=True)
        build.unlink(missing_ok=True)
    if not result.success:
        print_line(f"dbt docs generate failed: {result.error}")
        return None
    return paths.target_dir / "index.html"


def main(paths: RunPaths) -> int:
    """`python -m scripts docs`: the site of the current release, published first if need be."""
    if paths.warehouse.current_release is None:
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
