"""Benchmarks for aicost: a seeded log generator and the script that times aicost against references."""
