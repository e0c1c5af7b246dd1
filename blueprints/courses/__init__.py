"""The courses feature (authoring): courses, outline, versioned content, media, covers and teaching pages."""
