"""Execution of batch work: table I/O (CSV/XLSX/Parquet) and, later, Dask for partitioned data."""
