"""Uploaded raster images (course covers, organization logos): decoded, checked and re-encoded.

Decoding with Pillow is the only honest check that a file is an image; re-encoding drops EXIF (phone
photos carry where they were taken), applies the orientation and bounds the size. A small file can
claim a huge canvas (a decompression bomb), so the claimed size is checked before any pixel is decoded.
"""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import ValidationFailed

FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "WebP"}


def _refuse(field, message):
    raise ValidationFailed(message, {field: [message]})


def _names(formats):
    names = [FORMAT_NAMES.get(name, name) for name in formats]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _flatten(picture):
    """Transparent pixels over white, for formats without transparency."""
    picture = picture.convert("RGBA")
    flattened = Image.new("RGB", picture.size, "white")
    flattened.paste(picture, mask=picture.getchannel("A"))
    return flattened


def normalise_image(data, *, accepted, box, max_pixels, output, purpose, field="file"):
    """`data` decoded and re-encoded as `output` ("JPEG" or "PNG"), fit in `box`, without metadata.

    Refuses (ValidationFailed on `field`) anything that is not an image of an `accepted` format, and any
    image whose canvas is larger than `max_pixels`. `purpose` names the use in messages ("a cover").
    """
    too_large = f"This image is too large to use as {purpose}."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in accepted:
                    _refuse(field, f"{purpose[0].upper()}{purpose[1:]} must be a {_names(accepted)} image.")
                if image.width * image.height > max_pixels:
                    _refuse(field, too_large)
                image.load()
                picture = ImageOps.exif_transpose(image)
                picture.thumbnail(box)
                out = io.BytesIO()
                if output == "JPEG":
                    if picture.mode in ("RGBA", "LA", "P", "PA"):
                        picture = _flatten(picture)
                    picture.convert("RGB").save(out, "JPEG", quality=85, optimize=True, progressive=True)
                else:
                    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
                    picture.convert("RGBA" if has_alpha else "RGB").save(out, "PNG", optimize=True)
                return out.getvalue()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        _refuse(field, too_large)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(field, "This file is not an image we can read.")
