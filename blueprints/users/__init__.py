"""The users feature (people): API and pages, services, management, listing, export and models."""
