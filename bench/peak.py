"""Run a command and write its peak resident MB to a file: peak.py OUT COMMAND...

The benchmark starts every step through this small program. Linux counts a process's peak
from the moment it was forked, and a step forked straight from the benchmark (over 100 MB,
with DuckDB and openpyxl loaded) would report at least the benchmark's size; forked from here
it starts from some 10 MB. The peak is that of the largest process the step waited for.
"""

import resource
import subprocess
import sys
from pathlib import Path

out, *command = sys.argv[1:]
status = subprocess.call(command)
Path(out).write_text(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
sys.exit(status if status >= 0 else 128 - status)
