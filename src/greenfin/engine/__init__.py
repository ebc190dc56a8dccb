"""Execution of batch work: table I/O (CSV/XLSX/Parquet), partitioned local execution
(``partitioned``) and Dask (``dask_engine``) for partitioned data."""
