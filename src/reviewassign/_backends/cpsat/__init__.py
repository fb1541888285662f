"""CP-SAT: the model builders (hard and soft), one run, the searches, levels and least change."""
