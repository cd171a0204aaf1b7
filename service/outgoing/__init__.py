"""What goes out: the emails (headers, per-recipient values, links) and the posts, built once.

Everything here takes plain values (`ClinicInfo`, the config mapping, models) and knows nothing of the worker, the
web or the channels' clients: the worker sends what it builds, and previews, the claims check and test sends show
exactly the same.
"""
