"""The media library: images uploaded once, verified, resized, stripped of metadata, and served at stable addresses.

For other packages:
- `store_upload(session, file_bytes, filename, alt_text, media_dir=..., uploaded_by=None) -> Media`
  (service.media.library) verifies and stores an upload, raising `MediaUploadError` (its message is for the form).
- `Media.url(size, base_url=...)` / `Media.srcset(base_url=...)` (service.models.media) build public addresses;
  `media_base_url(config)` (service.media.urls) gives the base: MEDIA_BASE_URL, or PUBLIC_BASE_URL + "/media".
- `Media.alt_text` is plain text (never HTML): escape it where it is rendered; the claims check reads it as is.
"""
