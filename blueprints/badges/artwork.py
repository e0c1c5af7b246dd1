"""A badge's picture: uploaded (PNG re-encoded, SVG cleaned to an allow-list) or drawn from its colours and
initials; and the Open Badges 2.0 "baked" copies (the assertion's URL inside the image).

An uploaded SVG is parsed with defusedxml (no entities, no external references) and rebuilt from an
allow-list of shape, text, gradient and style elements and presentation attributes: scripts, event handlers,
`foreignObject`, external links and CSS that loads anything are dropped, so the stored file cannot run code
wherever it is opened (the routes that serve it add a sandboxing CSP as well). An SVG cannot be rasterised
here (no renderer among our libraries), so the PNG of a badge whose picture is an SVG is the drawn one.
"""

import io
import re
import zlib
from xml.etree import ElementTree as ET

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from PIL import Image, ImageDraw, ImageFont

from app.errors import ValidationFailed
from app.images import normalise_image

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
OB_NS = "http://openbadges.org"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 16_000_000
MAX_SVG_DEPTH = 100  # badge artwork nests a few groups; Python's stack holds about 1 000 frames
PNG_BOX = (512, 512)
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

ALLOWED_ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "use", "symbol", "pattern",
    "filter", "feGaussianBlur", "feOffset", "feBlend", "feFlood", "feComposite", "feMerge", "feMergeNode",
    "feColorMatrix", "feDropShadow",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "id", "class", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "d", "points",
    "width", "height", "viewBox", "preserveAspectRatio", "transform", "fill", "fill-opacity", "fill-rule",
    "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-dasharray",
    "stroke-dashoffset", "stroke-miterlimit", "opacity", "font-family", "font-size", "font-weight",
    "font-style", "text-anchor", "dominant-baseline", "letter-spacing", "offset", "stop-color", "stop-opacity",
    "gradientUnits", "gradientTransform", "spreadMethod", "clip-path", "clip-rule", "mask", "clipPathUnits",
    "patternUnits", "patternTransform", "maskUnits", "filter", "stdDeviation", "dx", "dy", "in", "in2",
    "result", "mode", "operator", "values", "type", "flood-color", "flood-opacity", "href", "version",
    "visibility", "display", "style",
}  # fmt: skip
LOCAL_REFERENCE = re.compile(r"^#[A-Za-z_][\w.-]*$")
STYLE_DECLARATION = re.compile(r"^\s*([a-z-]+)\s*:\s*([^;]*)$")
UNSAFE_VALUE = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)|expression|javascript:|@import|\\", re.I)


def refuse(message, field="image"):
    raise ValidationFailed(message, {field: [message]})


# --- uploads --------------------------------------------------------------------------------------------------


def clean_upload(data, filename=""):
    """(bytes, "png"|"svg") of an uploaded picture: a PNG decoded and re-encoded (no metadata, at most 512 px),
    an SVG rebuilt from the allow-list. Anything else is a 422 on `image`."""
    if not data:
        refuse("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        refuse(f"A badge picture may be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    head = data[:512].lstrip()
    if head.startswith(b"<") or filename.lower().endswith(".svg"):
        return clean_svg(data), "svg"
    png = normalise_image(
        data, accepted=("PNG",), box=PNG_BOX, max_pixels=MAX_PIXELS, output="PNG", purpose="a badge", field="image"
    )
    return png, "png"


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _clean_style(value):
    kept = []
    for declaration in value.split(";"):
        match = STYLE_DECLARATION.match(declaration)
        if match and match.group(1) in ALLOWED_ATTRIBUTES and not UNSAFE_VALUE.search(match.group(2)):
            kept.append(f"{match.group(1)}:{match.group(2).strip()}")
    return ";".join(kept)


def _clean_element(source):
    name = _local(source.tag)
    if name not in ALLOWED_ELEMENTS:
        return None
    element = ET.Element(f"{{{SVG_NS}}}{name}")
    for raw_name, value in source.attrib.items():
        attribute = _local(raw_name)
        if attribute not in ALLOWED_ATTRIBUTES:
            continue
        if attribute == "href":  # only to something of this document
            if not LOCAL_REFERENCE.match(value.strip()):
                continue
            element.set(f"{{{XLINK_NS}}}href" if raw_name.startswith(f"{{{XLINK_NS}}}") else "href", value.strip())
            continue
        unsafe = attribute != "style" and UNSAFE_VALUE.search(value)
        kept = _clean_style(value) if attribute == "style" else ("" if unsafe else value)
        if kept:
            element.set(attribute, kept)
    if name in ("text", "tspan", "title", "desc") and source.text:
        element.text = source.text
    for child in source:
        cleaned = _clean_element(child)
        if cleaned is not None:
            cleaned.tail = child.tail if name in ("text", "tspan") else None
            element.append(cleaned)
    return element


def _depth(root):
    """How deep the tree nests (walked without recursion)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_SVG_DEPTH:
            stack.extend((child, depth + 1) for child in element)
    return deepest


def clean_svg(data):
    """The SVG rebuilt from what the allow-list keeps (see the module's docstring); 422 when it is no SVG."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        refuse("This file is not an SVG image we can read.")
    if _local(root.tag) != "svg":
        refuse("This file is not an SVG image we can read.")
    if _depth(root) > MAX_SVG_DEPTH:  # cleaning and writing recurse: a deeper tree would overflow the stack
        refuse(f"This SVG nests its elements more than {MAX_SVG_DEPTH} deep.")
    cleaned = _clean_element(root)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(cleaned, encoding="utf-8", xml_declaration=True)


# --- drawn from colours and initials ---------------------------------------------------------------------------


def check_colour(value, field):
    if not isinstance(value, str) or not COLOUR.match(value):
        raise ValidationFailed("A colour is #rrggbb.", {field: ["A colour is #rrggbb (e.g. #1d4ed8)."]})
    return value.lower()


def _ink_on(colour):
    """Black or white, whichever reads better on `colour` (WCAG relative luminance)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def initials_of(name):
    words = [w for w in re.split(r"\s+", name or "") if w]
    return "".join(w[0] for w in words[:2]).upper() or "★"


def drawn_svg(colour, accent, initials, title=""):
    """A round badge: `colour` inside a ring of `accent`, `initials` in the middle (SVG text)."""
    initials = initials or "★"
    ink = _ink_on(colour)
    size = 48 if len(initials) > 2 else 64
    root = ET.Element(f"{{{SVG_NS}}}svg", {"width": "256", "height": "256", "viewBox": "0 0 256 256"})
    if title:
        ET.SubElement(root, f"{{{SVG_NS}}}title").text = title
    ET.SubElement(root, f"{{{SVG_NS}}}circle", {"cx": "128", "cy": "128", "r": "124", "fill": accent})
    ET.SubElement(root, f"{{{SVG_NS}}}circle", {"cx": "128", "cy": "128", "r": "104", "fill": colour})
    points = "128,24 140,40 116,40"
    ET.SubElement(root, f"{{{SVG_NS}}}polygon", {"points": points, "fill": ink, "opacity": "0.6"})
    text = ET.SubElement(
        root,
        f"{{{SVG_NS}}}text",
        {
            "x": "128",
            "y": "128",
            "text-anchor": "middle",
            "dominant-baseline": "central",
            "font-family": "DejaVu Sans, Arial, sans-serif",
            "font-weight": "bold",
            "font-size": str(size),
            "fill": ink,
        },
    )
    text.text = initials
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _font(size):
    for name in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def drawn_png(colour, accent, initials, size=256):
    """The same round badge as `drawn_svg`, as a PNG (for baking: backpacks that know only PNG)."""
    initials = initials or "*"
    scale = 4  # drawn large and reduced: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = big / 256
    draw.ellipse([4 * unit, 4 * unit, 252 * unit, 252 * unit], fill=accent)
    draw.ellipse([24 * unit, 24 * unit, 232 * unit, 232 * unit], fill=colour)
    font = _font(int((48 if len(initials) > 2 else 64) * unit))
    draw.text((big / 2, big / 2), initials, fill=_ink_on(colour), font=font, anchor="mm")
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- baking (Open Badges 2.0 "Baking" specification) -----------------------------------------------------------


def _png_chunk(kind, data):
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def bake_png(png, assertion_url):
    """The PNG with an `iTXt` chunk of keyword `openbadges` holding the assertion's URL, before `IEND` (any
    earlier `openbadges` chunk is dropped: an image is baked once)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("Not a PNG.")
    chunks, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        kind = png[at + 4 : at + 8]
        data = png[at + 8 : at + 8 + length]
        at += 12 + length
        if kind == b"iTXt" and data.startswith(b"openbadges\x00"):
            continue
        if kind == b"IEND":
            text = b"openbadges\x00" + b"\x00\x00" + b"\x00" + b"\x00" + assertion_url.encode("utf-8")
            chunks.append(_png_chunk(b"iTXt", text))
        chunks.append(_png_chunk(kind, data))
    return png[:8] + b"".join(chunks)


def bake_svg(svg, assertion_url):
    """The SVG with an `<openbadges:assertion verify="URL"/>` element first in its root (the namespace
    `http://openbadges.org` declared on the root)."""
    root = SafeET.fromstring(svg, forbid_dtd=True)
    for old in root.findall(f"{{{OB_NS}}}assertion"):
        root.remove(old)
    baked = ET.Element(f"{{{OB_NS}}}assertion", {"verify": assertion_url})
    root.insert(0, baked)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("openbadges", OB_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
