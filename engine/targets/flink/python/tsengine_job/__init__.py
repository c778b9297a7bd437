"""ts-engine pipeline exported as an Apache Flink job (see README.md)."""
