"""Hiring: positions, applications and the process (stages as data) with its state machine."""
