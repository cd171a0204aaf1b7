"""The posts that go out on the social channel: a section as one post, or as a thread of replies."""

from service.models import Campaign, Section
from service.rendering.clinic import ClinicInfo
from service.rendering.markdown import markdown_to_text
from service.rendering.post import post_link, render_thread


def thread_parts_for(campaign: Campaign, section: Section, clinic: ClinicInfo) -> list[str]:
    """The texts of the posts this section becomes in this campaign, in order (previews and checks use it too)."""
    return render_thread(
        heading=section.heading,
        body=markdown_to_text(section.body),
        link=post_link(campaign.link_url, website_url=clinic.website_url, campaign_slug=campaign.slug),
        hashtags=campaign.hashtags,
        template=campaign.post_template,
    )
