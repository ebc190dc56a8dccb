"""Bank-side analytics: loan books, green credit statistics, bank evaluation, disclosure data.

Pure domain code over Polars frames; reads only shipped reference data.
"""
