"""Seeded, deterministic synthetic demo data (示例). Pure generation; loading is a service."""
