"""`studio list`, `studio export` and `studio search`: what the store keeps, back out as text."""
