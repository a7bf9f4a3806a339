"""A conformance run: the pytest plugin, what tests record, verdict aggregation, scope, waivers, and the run folder it writes."""
