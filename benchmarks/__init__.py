"""Benchmarks: speed and quality measurements that write Markdown reports into var/benchmarks/."""
