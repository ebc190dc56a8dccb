"""Rendering of reports: HTML to PDF with an embedded CJK font (infra layer)."""
