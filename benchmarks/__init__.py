"""newsbot's benchmarks: the real bot against the test suite's fake Telegram and Discord.

Run `python -m benchmarks` (or `python benchmarks/run.py`) from the checkout;
`--help` lists the options. Each measurement has its own module (`index`,
`delivery`, `queries`, `memory`); `run` puts them together, `report` prints
the table and writes the JSON.
"""
