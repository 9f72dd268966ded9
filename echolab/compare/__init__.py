"""`echolab compare suite=NAME`: train several experiments under one budget, once per seed, and
tabulate them with mean ± SD over seeds and paired differences from a reference entry.

suite.py    the suite file (its keys are described there) and its checks
runner.py   training the runs, completing the table (also `finish=` after an interruption)
measure.py  computed columns (parameters, GFLOPs, CPU latency) from a run's checkpoint
paired.py   paired bootstrap differences from the reference, from the runs' video_scores.json
table.py    table.md and table.json
command.py  the command line
"""

from echolab.compare.command import main

__all__ = ["main"]
