"""The learning feature: enrollments and progress, the course player, My learning and the catalogue."""
