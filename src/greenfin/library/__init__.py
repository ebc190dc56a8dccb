"""Green project library rules: workflow states, grading rubric, product matching (pure)."""
