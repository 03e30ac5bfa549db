"""Result data in: observations (uploads) and raw events with their roll-up."""
