"""reviewassign: assign cases to reviewer panels, with conflicts, composition rules and a proven optimum."""
