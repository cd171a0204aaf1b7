"""The posts that go out on the social channel: a snippet as one post, or as a thread of replies."""

from service.models import Campaign, Snippet
from service.rendering.clinic import ClinicInfo
from service.rendering.post import post_link, render_thread


def thread_parts_for(campaign: Campaign, snippet: Snippet, clinic: ClinicInfo) -> list[str]:
    """The texts of the posts this snippet becomes in this campaign, in order (previews and checks use it too)."""
    return render_thread(
        heading=snippet.heading,
        body=snippet.body,
        link=post_link(campaign.link_url, website_url=clinic.website_url, campaign_slug=campaign.slug),
        hashtags=campaign.hashtags,
        template=campaign.post_template,
    )
