"""Verifying and re-encoding uploads: only pixels survive, at the library's two sizes."""

import io

import pytest
from PIL import Image

from service.media.images import MAX_UPLOAD_BYTES, ImageRejected, prepare_image
from tests.media.images import GPS_IFD, decompression_bomb, image_bytes, jpeg_with_gps


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_jpeg_with_gps_exif_comes_out_with_no_metadata_at_all():
    original = _opened(jpeg_with_gps())
    assert original.getexif().get_ifd(GPS_IFD), "the test photo must carry a GPS position"
    prepared = prepare_image(jpeg_with_gps())
    for encoded in (prepared.one_x, prepared.two_x):
        image = _opened(encoded.data)
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(GPS_IFD) == {}
        assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(image.info)
        assert b"ClinicCam" not in encoded.data and b"room 3" not in encoded.data


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the camera was turned; the stored pixels are rotated so the photo stands upright.
    prepared = prepare_image(jpeg_with_gps(size=(1800, 1200), orientation=6))
    assert (prepared.two_x.width, prepared.two_x.height) == (1200, 1800)


def test_a_wide_image_is_stored_1200_wide_and_2x_at_most_2400_never_enlarged():
    wide = prepare_image(image_bytes("PNG", size=(3000, 1500)))
    assert (wide.one_x.width, wide.one_x.height) == (1200, 600)
    assert (wide.two_x.width, wide.two_x.height) == (2400, 1200)
    middle = prepare_image(image_bytes("PNG", size=(1800, 900)))
    assert (middle.one_x.width, middle.two_x.width) == (1200, 1800)
    small = prepare_image(image_bytes("PNG", size=(800, 400)))
    assert small.one_x == small.two_x and small.one_x.width == 800


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_accepted_format_keeps_its_format(image_format):
    prepared = prepare_image(image_bytes(image_format))
    assert prepared.format == image_format.lower()
    assert _opened(prepared.one_x.data).format == image_format


def test_an_animated_gif_keeps_its_frames_when_resized():
    frames = [Image.new("RGB", (1600, 100), (60 * i, 0, 0)) for i in range(4)]
    output = io.BytesIO()
    frames[0].save(output, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    stored = _opened(prepare_image(output.getvalue()).one_x.data)
    assert (stored.n_frames, stored.width, stored.info["duration"]) == (4, 1200, 120)


def test_a_text_file_named_like_a_photo_is_refused():
    with pytest.raises(ImageRejected, match="not a JPEG, PNG, WebP or GIF"):
        prepare_image(b"Dear patient,\nthis is not a photo.\n" * 20)


def test_an_image_of_another_format_is_refused():
    with pytest.raises(ImageRejected, match="not a JPEG, PNG, WebP or GIF"):
        prepare_image(image_bytes("BMP"))


def test_a_truncated_image_is_refused():
    data = jpeg_with_gps()
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        prepare_image(data[: len(data) // 2])


def test_a_file_over_10_mb_is_refused_before_decoding():
    with pytest.raises(ImageRejected, match="at most 10 MB"):
        prepare_image(image_bytes("PNG") + b"\0" * MAX_UPLOAD_BYTES)


def test_a_decompression_bomb_is_refused():
    with pytest.raises(ImageRejected, match="too large in pixels|megapixels"):
        prepare_image(decompression_bomb())
