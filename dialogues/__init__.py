"""Dialogue flows (YAML) and the dialogue manager."""
