"""The fake X, driven by the real tweepy.Client routed to it by x_transport (never a mock)."""

import io
import time

import pytest
import requests
import tweepy
from PIL import Image

from service.channels.social.x_transport import XApiAdapter, build_x_client, build_x_media_api
from tests.fakes.x_server import DELETED_PARENT_DETAIL, DUPLICATE_DETAIL, MAX_IMAGE_BYTES, XCredentials


@pytest.fixture
def x_client(fake_x):
    client = build_x_client(**fake_x.credentials.as_kwargs(), api_base=fake_x.url, timeout=5)
    yield client
    client.session.close()


def post(client: tweepy.Client, text: str, in_reply_to: str | None = None) -> str:
    return client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True).data["id"]


def test_get_me_returns_the_account(fake_x, x_client):
    me = x_client.get_me(user_auth=True).data

    assert (me.id, me.username) == (int(fake_x.account.id), fake_x.account.username)


def test_a_post_gets_a_numeric_id_and_is_recorded(fake_x, x_client):
    response = x_client.create_tweet(text="Spring hours are here.", user_auth=True)

    post_id = response.data["id"]
    assert post_id.isdigit()
    assert response.data["edit_history_tweet_ids"] == [post_id]
    assert fake_x.posts == [{"id": post_id, "text": "Spring hours are here.", "in_reply_to": None}]
    assert fake_x.violations == []


def test_replies_chain_into_a_thread(fake_x, x_client):
    root = post(x_client, "1/3 Ketamine therapy, briefly.")
    second = post(x_client, "2/3 What it is.", in_reply_to=root)
    post(x_client, "3/3 Who it helps.", in_reply_to=second)
    post(x_client, "Unrelated post.")

    assert fake_x.chain_from(root) == ["1/3 Ketamine therapy, briefly.", "2/3 What it is.", "3/3 Who it helps."]
    assert fake_x.thread_chains() == [fake_x.chain_from(root), ["Unrelated post."]]


def test_a_forked_thread_is_reported(fake_x, x_client):
    root = post(x_client, "root")
    post(x_client, "reply a", in_reply_to=root)
    post(x_client, "reply b", in_reply_to=root)

    with pytest.raises(AssertionError, match="forked"):
        fake_x.chain_from(root)


def test_the_same_text_twice_is_forbidden_as_duplicate_content(fake_x, x_client):
    post(x_client, "Same words.")

    with pytest.raises(tweepy.Forbidden) as refused:
        post(x_client, "Same words.")

    assert DUPLICATE_DETAIL in str(refused.value)
    assert refused.value.response.json()["status"] == 403
    assert len(fake_x.posts) == 1


def test_a_seeded_post_counts_as_a_duplicate_too(fake_x, x_client):
    fake_x.add_existing_post("Posted before the crash.")

    with pytest.raises(tweepy.Forbidden):
        post(x_client, "Posted before the crash.")

    assert fake_x.posts == []


def test_a_reply_to_an_unknown_post_is_forbidden(fake_x, x_client):
    with pytest.raises(tweepy.Forbidden) as refused:
        post(x_client, "orphan", in_reply_to="123")

    assert DELETED_PARENT_DETAIL in str(refused.value)


def test_posts_over_280_weighted_characters_are_refused(fake_x, x_client):
    post(x_client, "a" * 280)
    post(x_client, "界" * 140)

    with pytest.raises(tweepy.Forbidden):
        post(x_client, "b" * 281)
    with pytest.raises(tweepy.Forbidden):
        post(x_client, "界" * 141)


def test_a_429_raises_too_many_requests_with_the_reset_time(fake_x, x_client):
    fake_x.rate_limit_next(reset_in_seconds=120)

    with pytest.raises(tweepy.TooManyRequests) as limited:
        post(x_client, "later")

    assert 115 <= limited.value.reset_time - time.time() <= 121
    assert limited.value.response.headers["x-rate-limit-remaining"] == "0"
    assert fake_x.posts == []
    post(x_client, "later")


def test_server_errors_raise_twitter_server_error(fake_x, x_client):
    fake_x.respond_next(503)
    fake_x.fail_on_request(3, 500)

    with pytest.raises(tweepy.TwitterServerError):
        post(x_client, "one")
    post(x_client, "one")
    with pytest.raises(tweepy.TwitterServerError):
        post(x_client, "two")

    assert [call.status for call in fake_x.calls] == [503, 201, 500]


def test_a_hang_times_the_client_out_yet_the_post_is_made(fake_x):
    client = build_x_client(**fake_x.credentials.as_kwargs(), api_base=fake_x.url, timeout=0.2)
    fake_x.hang_next(0.6)

    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            post(client, "slow")
    finally:
        client.session.close()

    wait_until(lambda: fake_x.posts)
    assert [p["text"] for p in fake_x.posts] == ["slow"]


def test_recent_posts_come_newest_first_with_paging_and_since_id(fake_x, x_client):
    ids = [fake_x.add_existing_post("old")] + [post(x_client, f"post {number}") for number in range(6)]
    user_id = fake_x.account.id

    first = x_client.get_users_tweets(user_id, max_results=5, tweet_fields=["created_at"], user_auth=True)
    rest = x_client.get_users_tweets(user_id, max_results=5, pagination_token=first.meta["next_token"], user_auth=True)
    newer = x_client.get_users_tweets(user_id, max_results=5, since_id=ids[4], user_auth=True)

    assert [str(tweet.id) for tweet in first.data + rest.data] == list(reversed(ids))
    assert first.data[0].created_at is not None
    assert "next_token" not in rest.meta
    assert [tweet.text for tweet in newer.data] == ["post 5", "post 4"]


def test_max_results_outside_5_to_100_is_a_bad_request(fake_x, x_client):
    with pytest.raises(tweepy.BadRequest):
        x_client.get_users_tweets(fake_x.account.id, max_results=3, user_auth=True)

    assert [violation.status for violation in fake_x.violations] == [400]


def test_a_request_without_oauth_gets_401(fake_x):
    response = requests.post(fake_x.url + "/2/tweets", json={"text": "hi"}, timeout=5)

    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"
    assert fake_x.violations[0].message == "no OAuth 1.0a Authorization header"
    assert fake_x.posts == []


def test_a_wrong_secret_fails_the_signature_check(fake_x):
    wrong = XCredentials(consumer_secret="not-the-secret").as_kwargs()
    client = build_x_client(**wrong, api_base=fake_x.url, timeout=5)

    try:
        with pytest.raises(tweepy.Unauthorized):
            post(client, "hi")
    finally:
        client.session.close()

    assert fake_x.violations[0].message == "OAuth signature does not match"


def test_every_request_reaches_the_fake_and_nothing_else(fake_x, x_client):
    x_client.get_me(user_auth=True)
    post(x_client, "hello")

    assert [(call.method, call.path) for call in fake_x.calls] == [("GET", "/2/users/me"), ("POST", "/2/tweets")]
    with pytest.raises(requests.ConnectionError, match="not routed"):
        x_client.session.get("https://example.com/")


def test_without_api_base_the_client_keeps_x_host_with_a_timeout():
    client = build_x_client(**XCredentials().as_kwargs(), timeout=7)

    adapter = client.session.get_adapter("https://api.twitter.com/2/tweets")
    assert isinstance(adapter, XApiAdapter)
    assert (adapter.base, adapter.timeout) == (None, 7)
    client.session.close()


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


# --- media, as tweepy.API uploads it ---------------------------------------------------------------------------


@pytest.fixture
def media_api(fake_x):
    return build_x_media_api(**fake_x.credentials.as_kwargs(), api_base=fake_x.url, timeout=5)


def _png(padding: int = 0) -> io.BytesIO:
    output = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 0, 0)).save(output, "PNG")
    output.write(b"\0" * padding)  # trailing bytes: still a decodable PNG, but a bigger file
    output.seek(0)
    return output


def test_an_upload_is_decoded_recorded_and_given_an_id(fake_x, media_api):
    uploaded = media_api.simple_upload("chart.png", file=_png(), media_category="tweet_image")
    media_api.create_media_metadata(uploaded.media_id_string, "A red bar")

    [media] = fake_x.media
    assert (uploaded.media_id_string, uploaded.image["w"]) == (media.id, 32)
    assert (media.image_type, media.alt_text, media.media_category) == ("image/png", "A red bar", "tweet_image")
    assert fake_x.violations == []


def test_an_upload_that_is_not_an_image_or_too_big_is_refused(fake_x, media_api):
    with pytest.raises(tweepy.BadRequest, match="Unsupported media type"):
        media_api.simple_upload("notes.jpg", file=io.BytesIO(b"plain text, not a photo"))
    with pytest.raises(tweepy.BadRequest, match="File size exceeds"):
        media_api.simple_upload("big.png", file=_png(padding=MAX_IMAGE_BYTES))
    assert fake_x.media == []


def test_a_post_naming_unknown_media_is_refused(fake_x, x_client):
    with pytest.raises(tweepy.BadRequest, match="media IDs are invalid"):
        x_client.create_tweet(text="With a made-up image.", media_ids=["123"], user_auth=True)
    assert fake_x.posts == []


# --- post lookup with public metrics (GET /2/tweets) -------------------------------------------------------------


def test_a_lookup_gives_each_posts_public_metrics_as_set(fake_x, x_client):
    first, second = post(x_client, "Counted."), post(x_client, "Counted too.")
    fake_x.set_metrics(first, like_count=4, retweet_count=2, reply_count=1, quote_count=1, impression_count=90)
    fake_x.set_metrics(second, impression_count=None)

    response = x_client.get_tweets([first, second], tweet_fields=["public_metrics"], user_auth=True)

    metrics = {str(tweet.id): tweet.public_metrics for tweet in response.data}
    assert metrics[first] == {
        "retweet_count": 2,
        "reply_count": 1,
        "like_count": 4,
        "quote_count": 1,
        "bookmark_count": 0,
        "impression_count": 90,
    }
    assert "impression_count" not in metrics[second]
    assert response.errors == []
    assert fake_x.lookups == [[first, second]]


def test_a_deleted_or_unknown_post_comes_back_in_errors_with_a_200(fake_x, x_client):
    kept, deleted = post(x_client, "Kept."), post(x_client, "Deleted later.")
    fake_x.delete_post(deleted)

    response = x_client.get_tweets([kept, deleted, "42"], tweet_fields=["public_metrics"], user_auth=True)
    none_found = x_client.get_tweets(["42"], tweet_fields=["public_metrics"], user_auth=True)

    assert [str(tweet.id) for tweet in response.data] == [kept]
    assert [(error["resource_id"], error["title"]) for error in response.errors] == [
        (deleted, "Not Found Error"),
        ("42", "Not Found Error"),
    ]
    assert response.errors[0]["type"] == "https://api.twitter.com/2/problems/resource-not-found"
    assert none_found.data is None and len(none_found.errors) == 1


def test_a_lookup_of_more_than_100_ids_is_a_bad_request(fake_x, x_client):
    with pytest.raises(tweepy.BadRequest):
        x_client.get_tweets([str(number) for number in range(1, 102)], user_auth=True)

    assert [violation.status for violation in fake_x.violations] == [400]


def test_a_lookup_fails_on_demand(fake_x, x_client):
    fake_x.respond_next(503)

    with pytest.raises(tweepy.TwitterServerError):
        x_client.get_tweets(["42"], user_auth=True)
    assert x_client.get_tweets(["42"], user_auth=True).data is None


def test_a_lookup_of_an_id_that_is_not_a_number_is_a_bad_request(fake_x, x_client):
    with pytest.raises(tweepy.BadRequest, match=r"does not match \^\[0-9\]\{1,19\}\$"):
        x_client.get_tweets(["12a"], user_auth=True)
