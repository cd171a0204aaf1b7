"""XSocialChannel: the real tweepy.Client against the fake X, and what each of X's answers becomes."""

import io
import time

import pytest
from PIL import Image

from service.channels.registry import social_channel_for
from service.channels.social.base import PostImage, SocialPostError
from service.channels.social.x import CREDENTIALS_REFUSED, XSocialChannel
from tests.fakes.x_server import DUPLICATE_DETAIL, XCredentials
from tests.ports import unused_port


def channel_for(fake, sleeps: list | None = None, **overrides) -> XSocialChannel:
    sleeps = [] if sleeps is None else sleeps
    settings = {"api_base": fake.url, "timeout": 5.0, "max_retries": 3, "backoff_seconds": 0.5, **overrides}
    return XSocialChannel(**fake.credentials.as_kwargs(), sleep=sleeps.append, **settings)


def statuses(fake) -> list:
    return [call.status for call in fake.calls]


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_post_and_its_replies_form_a_chained_thread(fake_x):
    channel = channel_for(fake_x)

    first = channel.post("1/3 Ketamine therapy, briefly.")
    second = channel.post("2/3 What it is.", in_reply_to=first)
    channel.post("3/3 Who it helps.", in_reply_to=second)

    assert fake_x.chain_from(first) == ["1/3 Ketamine therapy, briefly.", "2/3 What it is.", "3/3 Who it helps."]
    assert fake_x.violations == []


def test_the_registry_builds_it_from_the_x_settings(fake_x):
    config = {
        "SOCIAL_CHANNEL": "x",
        "X_CONSUMER_KEY": fake_x.credentials.consumer_key,
        "X_CONSUMER_SECRET": fake_x.credentials.consumer_secret,
        "X_ACCESS_TOKEN": fake_x.credentials.access_token,
        "X_ACCESS_TOKEN_SECRET": fake_x.credentials.access_token_secret,
        "X_API_BASE": fake_x.url,
        "X_TIMEOUT_SECONDS": 7,
        "X_MAX_RETRIES": 2,
        "X_BACKOFF_SECONDS": 0.25,
    }
    channel = social_channel_for(config)

    assert isinstance(channel, XSocialChannel)
    assert (channel.timeout, channel.max_attempts, channel.backoff_seconds) == (7.0, 3, 0.25)
    assert channel.post("Hello from the settings.").isdigit()


def test_a_500_then_success_is_retried_once_after_a_backoff(fake_x):
    sleeps = []
    fake_x.respond_next(500)

    post_id = channel_for(fake_x, sleeps).post("Spring hours are here.")

    assert statuses(fake_x) == [500, 201]
    assert fake_x.posts == [{"id": post_id, "text": "Spring hours are here.", "in_reply_to": None}]
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0, "backoff base 0.5 s plus up to 0.5 s of jitter"


def test_server_errors_are_retried_a_bounded_number_of_times_with_growing_backoff(fake_x):
    sleeps = []
    fake_x.respond_next(503, times=10)

    with pytest.raises(SocialPostError) as failed:
        channel_for(fake_x, sleeps).post("Never lands.")

    assert statuses(fake_x) == [503] * 4, "one try and three retries"
    assert not failed.value.permanent and failed.value.retry_at is None and not failed.value.unknown_outcome
    assert "503" in str(failed.value) and "4 tries" in str(failed.value)
    # Exponential from 0.5 s (0.5, 1, 2), each plus up to 0.5 s of jitter.
    assert all(base <= pause <= base + 0.5 for pause, base in zip(sleeps, (0.5, 1.0, 2.0), strict=True))


def test_a_5xx_that_still_made_the_post_is_found_instead_of_failing_as_a_duplicate(fake_x):
    text = "Posted although X answered 503."
    fake_x.respond_next(503)
    # X sometimes makes the post and still answers 5xx: here it appears while the channel waits to retry.
    landed = []
    channel = XSocialChannel(
        **fake_x.credentials.as_kwargs(),
        api_base=fake_x.url,
        timeout=5.0,
        sleep=lambda seconds: landed.append(fake_x.add_existing_post(text)),
    )

    post_id = channel.post(text)

    assert post_id == landed[0]
    assert fake_x.posts == [], "nothing was posted a second time"


def test_a_429_is_not_retried_and_carries_the_reset_time(fake_x):
    sleeps = []
    fake_x.rate_limit_next(reset_in_seconds=300)

    with pytest.raises(SocialPostError) as limited:
        channel_for(fake_x, sleeps).post("Later, please.")

    assert 295 <= limited.value.retry_at - time.time() <= 301
    assert not limited.value.permanent and not limited.value.credentials
    assert "429" in str(limited.value)
    assert statuses(fake_x) == [429] and sleeps == []


def test_a_429_without_a_reset_header_waits_a_whole_rate_limit_window(fake_x):
    fake_x.respond_next(429)
    channel = channel_for(fake_x, now=lambda: 1_000_000.0)

    with pytest.raises(SocialPostError) as limited:
        channel.post("Later, please.")

    assert limited.value.retry_at == 1_000_000.0 + 15 * 60


def test_duplicate_content_is_a_permanent_failure_in_xs_own_words(fake_x):
    fake_x.add_existing_post("Same words as last week.")

    with pytest.raises(SocialPostError) as refused:
        channel_for(fake_x).post("Same words as last week.")

    assert refused.value.permanent and not refused.value.credentials
    assert DUPLICATE_DETAIL in str(refused.value) and "403" in str(refused.value)
    assert statuses(fake_x) == [403], "a first-try duplicate is X's answer, not ours to second-guess"


def test_a_bad_request_is_permanent(fake_x):
    fake_x.respond_next(400, body={"errors": [{"message": "$.text: is too fancy"}], "title": "Invalid Request"})

    with pytest.raises(SocialPostError) as refused:
        channel_for(fake_x).post("Fancy.")

    assert refused.value.permanent and "$.text: is too fancy" in str(refused.value)


def test_refused_credentials_are_reported_as_a_credentials_problem(fake_x):
    wrong = XCredentials(consumer_secret="not-the-secret").as_kwargs()
    channel = XSocialChannel(**wrong, api_base=fake_x.url, timeout=5.0, sleep=lambda s: None)

    with pytest.raises(SocialPostError) as refused:
        channel.post("Hello.")
    with pytest.raises(SocialPostError) as reading:
        channel.recent_posts()

    for error in (refused.value, reading.value):
        assert error.credentials and error.permanent
        assert str(error).startswith(CREDENTIALS_REFUSED)
        assert "X_CONSUMER_KEY" in str(error)
    assert fake_x.posts == []


def test_no_answer_in_time_is_an_unknown_outcome_and_never_retried(fake_x):
    sleeps = []
    fake_x.hang_next(1.0)

    with pytest.raises(SocialPostError) as unknown:
        channel_for(fake_x, sleeps, timeout=0.3).post("Slow to land.")

    assert unknown.value.unknown_outcome and not unknown.value.permanent
    assert sleeps == []
    wait_until(lambda: fake_x.posts)
    assert [post["text"] for post in fake_x.posts] == ["Slow to land."], "X made it once, and only once"


def test_an_unreachable_x_is_retried_since_nothing_was_sent():
    port = unused_port()
    sleeps = []
    channel = XSocialChannel(
        **XCredentials().as_kwargs(), api_base=f"http://127.0.0.1:{port}", timeout=2.0, sleep=sleeps.append
    )

    with pytest.raises(SocialPostError) as failed:
        channel.post("Nobody home.")

    assert not failed.value.unknown_outcome and not failed.value.permanent
    assert len(sleeps) == 3 and "could not be reached" in str(failed.value)


def test_recent_posts_come_newest_first_and_the_account_is_looked_up_once(fake_x):
    channel = channel_for(fake_x)
    fake_x.add_existing_post("Older post.")
    newest = channel.post("Newer post.")

    first = channel.recent_posts()
    second = channel.recent_posts(limit=1)

    assert [post.text for post in first] == ["Newer post.", "Older post."]
    assert first[0].id == newest
    assert [post.text for post in second] == ["Newer post."]
    assert [call.path for call in fake_x.calls].count("/2/users/me") == 1
    assert fake_x.violations == []


def test_recent_posts_of_an_empty_account_are_none(fake_x):
    assert channel_for(fake_x).recent_posts() == []


def test_reading_recent_posts_is_retried_on_server_errors(fake_x):
    fake_x.add_existing_post("Already there.")
    fake_x.respond_next(502, times=2)

    posts = channel_for(fake_x).recent_posts()

    assert [post.text for post in posts] == ["Already there."]
    assert statuses(fake_x)[:2] == [502, 502]


def test_reading_recent_posts_when_rate_limited_says_when_to_come_back(fake_x):
    fake_x.rate_limit_next(reset_in_seconds=60)

    with pytest.raises(SocialPostError) as limited:
        channel_for(fake_x).recent_posts()

    assert limited.value.retry_at is not None and not limited.value.permanent


# --- images ----------------------------------------------------------------------------------------------------


def _image(alt_text: str = "Two armchairs by a sunny window", image_format: str = "JPEG") -> PostImage:
    output = io.BytesIO()
    Image.new("RGB", (640, 360), (30, 120, 90)).save(output, image_format)
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}[image_format]
    return PostImage(data=output.getvalue(), filename=f"a1b2.{image_format.lower()}", mime_type=mime, alt_text=alt_text)


def test_a_post_with_images_uploads_each_sets_its_alt_text_and_attaches_the_ids(fake_x):
    channel = channel_for(fake_x)
    images = [_image(), _image("A bar chart of visits per week", "PNG")]

    post_id = channel.post("Our new waiting room.", images=images)

    uploaded = fake_x.media
    assert [(m.image_type, m.width, m.alt_text) for m in uploaded] == [
        ("image/jpeg", 640, "Two armchairs by a sunny window"),
        ("image/png", 640, "A bar chart of visits per week"),
    ]
    assert uploaded[0].data == images[0].data and uploaded[0].media_category == "tweet_image"
    [post] = fake_x.posts
    assert post["id"] == post_id and post["media_ids"] == [m.id for m in uploaded]
    assert fake_x.violations == []
    paths = [call.path for call in fake_x.calls]
    assert paths == [
        "/1.1/media/upload.json",
        "/1.1/media/metadata/create.json",
        "/1.1/media/upload.json",
        "/1.1/media/metadata/create.json",
        "/2/tweets",
    ]


def test_an_image_x_cannot_decode_is_a_permanent_refusal_and_nothing_is_posted(fake_x):
    channel = channel_for(fake_x)
    broken = PostImage(data=b"not an image at all", filename="x.jpg", mime_type="image/jpeg", alt_text="Alt")

    with pytest.raises(SocialPostError, match="X refused an image: 400") as refused:
        channel.post("With a broken image.", images=[broken])

    assert refused.value.permanent
    assert fake_x.posts == []


def test_an_upload_that_fails_with_a_5xx_is_retried(fake_x):
    sleeps: list = []
    channel = channel_for(fake_x, sleeps)
    fake_x.respond_next(503, body={"errors": [{"code": 131, "message": "Internal error"}]})

    channel.post("Retried upload.", images=[_image()])

    assert len(fake_x.media) == 1 and len(sleeps) == 1
    assert fake_x.posts[0]["media_ids"] == [fake_x.media[0].id]


def test_more_than_four_images_are_refused_before_anything_is_sent(fake_x):
    with pytest.raises(SocialPostError, match="at most 4 images"):
        channel_for(fake_x).post("Too many.", images=[_image()] * 5)
    assert fake_x.calls == []


# --- public metrics --------------------------------------------------------------------------------------------


def test_public_metrics_are_read_in_our_words_and_a_post_x_lacks_is_left_out(fake_x):
    channel = channel_for(fake_x)
    kept, deleted = channel.post("Counted."), channel.post("Deleted on X.")
    fake_x.set_metrics(kept, impression_count=80, like_count=3, retweet_count=2, reply_count=1, quote_count=4)
    fake_x.delete_post(deleted)

    metrics = channel.public_metrics([kept, deleted])

    assert list(metrics) == [kept]
    m = metrics[kept]
    assert (m.impressions, m.likes, m.reposts, m.replies, m.quotes) == (80, 3, 2, 1, 4)


def test_reading_public_metrics_is_retried_on_server_errors_and_a_429_says_when_to_come_back(fake_x):
    sleeps = []
    channel = channel_for(fake_x, sleeps)
    post_id = channel.post("Counted.")
    fake_x.respond_next(503)
    assert post_id in channel.public_metrics([post_id])
    fake_x.rate_limit_next(reset_in_seconds=300)

    with pytest.raises(SocialPostError) as limited:
        channel.public_metrics([post_id])

    assert len(sleeps) == 1
    assert limited.value.retry_at is not None and not limited.value.permanent


def test_more_than_100_posts_a_lookup_are_refused_before_anything_is_sent(fake_x):
    with pytest.raises(ValueError, match="at most 100"):
        channel_for(fake_x).public_metrics([str(number) for number in range(1, 102)])
    assert fake_x.calls == []
