"""The courses feature: courses, outline, versioned content, enrollments and progress."""
