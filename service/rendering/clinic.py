"""The clinic's identity as every rendered email and post needs it."""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    legal_name: str
    postal_address: str
    website_url: str
    privacy_url: str
    timezone: str
    public_base_url: str

    @classmethod
    def from_config(cls, config: Mapping) -> "ClinicInfo":
        return cls(
            name=config["CLINIC_NAME"],
            legal_name=config["CLINIC_LEGAL_NAME"],
            postal_address=config["CLINIC_POSTAL_ADDRESS"],
            website_url=config["CLINIC_WEBSITE_URL"],
            privacy_url=config["CLINIC_PRIVACY_URL"],
            timezone=config["CLINIC_TIMEZONE"],
            public_base_url=config["PUBLIC_BASE_URL"],
        )
