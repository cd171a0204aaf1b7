"""What an issue says, as the renderer takes it: the composed models turned into plain values."""

from service.compliance.library import references_for
from service.composer.placeholders import fill_subject
from service.models import Campaign, EmailIssue, Media
from service.rendering.clinic import ClinicInfo
from service.rendering.mjml_email import Image, IssueContent, SectionContent


def read_more_url(campaign: Campaign, clinic: ClinicInfo) -> str:
    return campaign.link_url or clinic.website_url


def subject_of(campaign: Campaign, issue: EmailIssue) -> str:
    """The issue's subject with {{ heading }} filled in; {{ first_name }} stays for each recipient."""
    first_heading = issue.sections[0].heading if issue.sections else ""
    return fill_subject(issue.subject or campaign.email_subject, heading=first_heading)


def image_of(media: Media | None, media_base: str) -> Image | None:
    return Image(url=media.url("1x", base_url=media_base), alt=media.alt_text) if media is not None else None


def issue_content(campaign: Campaign, issue: EmailIssue, clinic: ClinicInfo, media_base: str) -> IssueContent:
    """What the issue says; images are addressed under `media_base` (service.media.urls.media_base_url).

    Raises PlaceholderError for a subject with an unknown placeholder (refused on save, so only old data)."""
    return IssueContent(
        subject=subject_of(campaign, issue),
        sections=tuple(
            SectionContent(heading=s.heading, body=s.body, image=image_of(s.image, media_base)) for s in issue.sections
        ),
        hero=image_of(issue.hero, media_base),
        layout=campaign.email_layout or "letter",
        preheader=issue.preheader,
        intro=issue.intro,
        cta_label=issue.cta_label,
        cta_url=issue.cta_url,
        sign_off=issue.sign_off,
        read_more_url=read_more_url(campaign, clinic),
        references=tuple(references_for(campaign)),
    )
