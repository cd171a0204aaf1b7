"""Image files made on the spot for the media tests (no binary fixtures in the repository)."""

import io

from PIL import Image, ImageCms

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def jpeg_with_gps(size: tuple[int, int] = (1800, 1200), orientation: int | None = None) -> bytes:
    """A JPEG photo carrying a camera make, a GPS position (Scottsdale), a comment and an ICC profile."""
    image = Image.new("RGB", size, (180, 90, 40))
    exif = Image.Exif()
    exif[MAKE] = "ClinicCam"
    exif[GPS_IFD] = {1: "N", 2: (33.0, 29.0, 40.0), 3: "W", 4: (111.0, 55.0, 30.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif, comment=b"Taken in room 3", icc_profile=profile)
    return output.getvalue()


def image_bytes(image_format: str, size: tuple[int, int] = (600, 400), mode: str = "RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, (20, 120, 200)).save(output, image_format)
    return output.getvalue()


def decompression_bomb() -> bytes:
    """A PNG of 10,000 x 10,000 pixels that is a few kilobytes: decoding it would take 100 million pixels."""
    output = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(output, "PNG")
    return output.getvalue()
