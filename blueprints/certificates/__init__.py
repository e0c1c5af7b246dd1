"""Certificates: templates, PDFs with a QR code and an embedded signed credential, verification, sharing."""
