"""The suite in a process of its own, started before dbt so that GX's import overlaps dbt's.

Importing Great Expectations costs seconds of one core, more than the validation itself. Done
in the pipeline's own process at the validate stage, it would add those seconds to every run;
done there in a background thread, it would hold the interpreter lock against dbt's import and
parse, which are Python too, and slow them by as much. In a child it runs on the second core,
and killing the child once it has answered spares the slow exit of an interpreter with GX loaded.

The protocol, one request and one answer:

1. `ValidatorProcess.start` launches `python -m scripts.validation.process --serve PID`, PID
   being the run's own. The child asks the kernel to kill it when the run dies, then imports the
   suite (and so GX) and waits on stdin.
2. `ValidatorProcess.validate` writes one JSON line to the child's stdin: the marts database,
   the inputs (directory and format) and the path of the result file.
3. The child runs `suite.validate_marts` and prints the `ValidationOutcome` as one line on
   stdout, after `OUTCOME_PREFIX`; any other line it prints is passed on to stderr. If the child
   ends without that line, `validate` raises.
4. `ValidatorProcess.close` kills the child, whether it has answered or was never asked (a run
   rejected before the validation).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from scripts.postgres import PostgresMarts
from scripts.settings import PROJECT_DIR, Inputs
from scripts.validation import ValidationOutcome

OUTCOME_PREFIX = "validation outcome: "  # marks the answer among whatever else the child prints


class ValidatorProcess:
    """The child process that runs the suite; see the module's docstring for the protocol.

    Use it as a context manager, so that the child is stopped however the run ends. The child's
    peak memory counts toward the pipeline's (see `--timings-json` in `scripts/pipeline.py`).
    """

    def __init__(self) -> None:
        self._child: subprocess.Popen | None = None

    def start(self) -> None:
        # a session of its own: Ctrl-C in the terminal interrupts the run, which stops this
        # child itself (`close`), instead of the child printing its own traceback
        self._child = subprocess.Popen(
            [sys.executable, "-m", "scripts.validation.process", "--serve", str(os.getpid())],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def validate(self, warehouse_path: Path | PostgresMarts, inputs: Inputs, result_path: Path) -> ValidationOutcome:
        if self._child is None:
            self.start()
        request = {
            # a DuckDB file's path, or the schema of marts on PostgreSQL (whose connection the
            # child reads from the environment it inherits, as this process does)
            "warehouse": {"postgres_schema": warehouse_path.schema}
            if isinstance(warehouse_path, PostgresMarts)
            else str(warehouse_path),
            "inputs": {"directory": str(inputs.directory), "file_format": inputs.file_format},
            "result": str(result_path),
        }
        try:
            self._child.stdin.write(json.dumps(request) + "\n")
            self._child.stdin.flush()
        except OSError:  # the child has died already (BrokenPipeError): say so below
            pass
        else:
            # the answer is one line; reading it, not waiting for the child to end, spares
            # the interpreter's slow exit with GX loaded
            for line in self._child.stdout:
                if line.startswith(OUTCOME_PREFIX):
                    return ValidationOutcome.from_json(line.removeprefix(OUTCOME_PREFIX))
                sys.stderr.write(line)  # anything else the child printed
        raise RuntimeError(
            f"the Great Expectations process stopped with exit code {self._child.wait()}"
            " before it answered; its error is printed above"
        )

    def close(self) -> None:
        """Stop the child: it has answered, or will not be asked."""
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            for pipe in (self._child.stdin, self._child.stdout):
                with contextlib.suppress(OSError):  # a request it never read
                    pipe.close()

    def __enter__(self) -> ValidatorProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


PR_SET_PDEATHSIG = 1  # prctl(2)'s option number, from <linux/prctl.h>


def die_with(run: int) -> None:
    """Have the kernel kill this process when the run `run` dies, however it dies.

    A run killed with SIGKILL cannot stop its child; without this, the child would go on
    importing GX for seconds, then find its stdin closed. On Linux, prctl(2)'s PR_SET_PDEATHSIG
    sends the signal when the thread that started the child exits: the run starts it from its
    main thread (`run_stages`). If the run died before the request took effect, this process
    has a new parent already, and ends at once. Elsewhere there is no such call, and the child
    ends at its closed stdin as before.
    """
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != run:
        sys.exit(0)


def serve(run: int) -> int:
    """The child's side: import the suite, then answer one request read from stdin on stdout."""
    die_with(run)
    from scripts.validation.suite import validate_marts  # GX: the import this process exists to do early

    line = sys.stdin.readline()
    if not line:
        return 0
    request = json.loads(line)
    inputs = Inputs(Path(request["inputs"]["directory"]), request["inputs"]["file_format"])
    warehouse = request["warehouse"]
    marts = PostgresMarts(warehouse["postgres_schema"]) if isinstance(warehouse, dict) else Path(warehouse)
    outcome = validate_marts(marts, inputs, Path(request["result"]))
    print(OUTCOME_PREFIX + outcome.to_json(), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--serve" or not sys.argv[2].isdigit():
        sys.exit(
            "usage: python -m scripts.validation.process --serve RUN_PID  (the pipeline starts it; see ValidatorProcess)"
        )
    sys.exit(serve(int(sys.argv[2])))
