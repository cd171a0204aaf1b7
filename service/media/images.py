"""Verify an uploaded image by decoding it, and re-encode it resized with no metadata. Pure: bytes in, bytes out.

What is kept of the upload is its pixels only: EXIF (camera, GPS position, date), XMP, IPTC, ICC profiles and
comments are all left behind, because photos taken at a clinic can say who was there, where and when. Before the
EXIF is dropped its orientation is applied, and pixels in another colour profile are converted to sRGB, so the image
looks the same without them.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A 48-megapixel phone photo is 8064 x 6048; anything much larger is no photo but a decompression bomb: a small file
# that would take gigabytes of memory to decode.
MAX_PIXELS = 50_000_000
# An animation is decoded frame by frame: this bounds the total work (100 frames of 1000 x 1000, say).
MAX_ANIMATION_PIXELS = 100_000_000
WIDTH_1X = 1200
WIDTH_2X = 2 * WIDTH_1X

# Pillow's format names for what the library accepts, and ours.
ACCEPTED_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# Only an animation's timing survives re-encoding; anything else in `info` may be metadata.
_KEPT_INFO = ("duration", "loop")
# Modes every encoder here takes as they are; the others (palette, 1-bit, 16-bit, grey with alpha) become RGB(A),
# which also makes resampling mix colours rather than palette indexes.
_PLAIN_MODES = ("L", "RGB", "RGBA")


class ImageRejected(ValueError):
    """The upload is not an image the library takes; the message says why, in words for the marketer."""


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class PreparedImage:
    """An upload, verified and re-encoded: `one_x` at most 1200 px wide, `two_x` at most 2400 px (never upscaled;
    the same bytes as `one_x` when the original is 1200 px wide or less)."""

    format: str
    source_sha256: str
    one_x: EncodedImage
    two_x: EncodedImage


def prepare_image(data: bytes) -> PreparedImage:
    """Decode `data` fully (its name and extension are never trusted) and re-encode it at the library's two sizes.

    Raises ImageRejected for anything too big, not a JPEG/PNG/WebP/GIF, truncated or corrupt, or a decompression bomb.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(f"The file is {len(data) / 1024 / 1024:.1f} MB; images can be at most 10 MB.")
    if not data:
        raise ImageRejected("The file is empty.")
    frames, image_format, info = _decode(data)
    one_x = _encode(frames, image_format, info, WIDTH_1X)
    width = frames[0].width
    two_x = one_x if width <= WIDTH_1X else _encode(frames, image_format, info, WIDTH_2X)
    return PreparedImage(
        format=ACCEPTED_FORMATS[image_format],
        source_sha256=hashlib.sha256(data).hexdigest(),
        one_x=one_x,
        two_x=two_x,
    )


def _decode(data: bytes) -> tuple[list[Image.Image], str, dict]:
    """Every frame, decoded, oriented and in sRGB, plus the format and the drawing info worth keeping."""
    with warnings.catch_warnings():
        # Pillow only warns below twice its own limit; here any bomb is refused.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as image:
                _check_dimensions(image)
                image_format = image.format
                info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
                frames = [_clean_frame(frame) for frame in ImageSequence.Iterator(image)]
        except ImageRejected:
            raise
        except UnidentifiedImageError as error:
            raise ImageRejected("This file is not a JPEG, PNG, WebP or GIF image (whatever its name says).") from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected("This image is far too large in pixels to be a photo; it was refused.") from error
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            # Pillow says "image file is truncated", "broken data stream" and the like.
            raise ImageRejected("This image is damaged or incomplete (perhaps the upload was cut short).") from error
    return frames, image_format, info


def _check_dimensions(image: Image.Image) -> None:
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise ImageRejected(
            f"This image is {width} x {height} pixels; the library takes images of at most "
            f"{MAX_PIXELS // 1_000_000} megapixels."
        )
    if width * height * getattr(image, "n_frames", 1) > MAX_ANIMATION_PIXELS:
        raise ImageRejected("This animation has too many frames for its size; make it shorter or smaller.")


def _clean_frame(frame: Image.Image) -> Image.Image:
    frame.load()
    oriented = ImageOps.exif_transpose(frame)
    converted = _to_srgb(oriented)
    if converted.mode not in _PLAIN_MODES:
        has_alpha = converted.has_transparency_data
        converted = converted.convert("RGBA" if has_alpha else "RGB")
    if converted.mode == "RGBA" and not converted.has_transparency_data:
        converted = converted.convert("RGB")
    converted.info = {}
    return converted


def _to_srgb(image: Image.Image) -> Image.Image:
    """The pixels in sRGB, so dropping the ICC profile changes no colour. CMYK (some JPEGs) becomes RGB too."""
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            target = ImageCms.createProfile("sRGB")
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            return ImageCms.profileToProfile(image, source, target, outputMode=mode)
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: the pixels are taken as sRGB, as browsers do
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image.copy()


def _encode(frames: list[Image.Image], image_format: str, info: dict, max_width: int) -> EncodedImage:
    resized = [_fit(frame, max_width) for frame in frames]
    output = io.BytesIO()
    first = resized[0]
    options = _save_options(image_format, info)
    if len(resized) > 1:
        options.update(save_all=True, append_images=resized[1:])
    first.save(output, format=image_format, **options)
    return EncodedImage(data=output.getvalue(), width=first.width, height=first.height)


def _fit(frame: Image.Image, max_width: int) -> Image.Image:
    if frame.width <= max_width:
        return frame
    height = max(1, round(frame.height * max_width / frame.width))
    return frame.resize((max_width, height), Image.Resampling.LANCZOS)


def _save_options(image_format: str, info: dict) -> dict:
    """Encoder settings, with every metadata option explicitly empty (Pillow copies some from `info` otherwise)."""
    if image_format == "JPEG":
        return {"quality": 85, "optimize": True, "progressive": True, "exif": b"", "icc_profile": None}
    if image_format == "PNG":
        return {"optimize": True, "exif": b"", "icc_profile": None, "pnginfo": None}
    if image_format == "WEBP":
        return {"quality": 85, "exif": b"", "icc_profile": "", "xmp": "", **info}
    return dict(info)
