"""Who is who: organisation kinds, roles and the 统一社会信用代码 (GB 32100-2015).

Pure domain code: no database, no web.
"""
