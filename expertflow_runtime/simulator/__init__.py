"""The trace-driven simulator: the same policies and step driver as the engine, a cost model
for the executor (``cost``), routes from a workload (``workload``), ``run`` and ``cli``."""
