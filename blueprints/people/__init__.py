"""The people pages (list, detail, import): see views.py; the logic lives in users and imports."""
