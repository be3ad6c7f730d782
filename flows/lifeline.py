"""Run a Python module (a Prefect server) that ends when the command that started it ends, however that ends.

`python -m flows.lifeline MODULE ARGS...` runs `python -m MODULE ARGS...` in this process. The command that starts it
holds the write end of its stdin and never writes: when the command exits, even killed, stdin reaches end of file and
this process stops as SIGTERM stops it, or is ended outright after a grace period.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

GRACE_SECONDS = 10.0


def stop_when_stdin_closes() -> None:
    """Wait for stdin's end of file, then stop this process as SIGTERM does, or outright if that takes too long."""
    while sys.stdin.buffer.read1(4096):
        pass
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def main() -> None:
    module, *args = sys.argv[1:]
    threading.Thread(target=stop_when_stdin_closes, name="lifeline", daemon=True).start()
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
