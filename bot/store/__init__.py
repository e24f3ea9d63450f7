"""Durable state: schema, database handle, migrations and the queries of the core."""
