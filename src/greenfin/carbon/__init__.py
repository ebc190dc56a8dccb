"""Carbon accounting: emission factors, enterprise accounts, project reductions, the PBOC carbon
emission reduction facility (碳减排支持工具) and PCAF financed emissions.

Pure domain code (NumPy / Polars): reads shipped reference data, never the database or the web.
"""
