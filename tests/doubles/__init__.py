"""Contract-exact test doubles of the external services Rotadesk talks to."""
