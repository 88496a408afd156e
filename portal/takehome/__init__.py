"""Take-home assignments: the library, the technical-screen choice, the clock and the submissions."""
