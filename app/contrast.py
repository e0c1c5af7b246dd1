"""Colour contrast as WCAG 2.2 measures it: brand colours that text must stay readable on (1.4.3, 4.5:1)."""

import re

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
TEXT_CONTRAST = 4.5  # normal-size text, level AA


def _channels(color):
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def relative_luminance(color):
    """WCAG's relative luminance of a #rrggbb colour (0: black, 1: white)."""

    def linear(channel):
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(one, other):
    """From 1 (no contrast) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on_white(color, ratio=TEXT_CONTRAST):
    """The colour itself if white text on it (and it as text on white) reads at `ratio`; otherwise the
    lightest shade of it, mixed toward black, that does. The hue stays the organization's."""
    if contrast_ratio(color, WHITE) >= ratio:
        return color.lower()
    channels = _channels(color)
    for step in range(1, 101):
        keep = 1 - step / 100
        shade = "#" + "".join(f"{round(c * keep):02x}" for c in channels)
        if contrast_ratio(shade, WHITE) >= ratio:
            return shade
    return "#000000"


def rgba(color, alpha):
    r, g, b = _channels(color)
    return f"rgba({r}, {g}, {b}, {alpha})"
