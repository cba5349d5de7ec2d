"""SBOMs: image inventories from SPDX attestations (layers as the fallback), package URLs,
language-package advisories, and CycloneDX output.

``inventory_image(client, registry, repo, manifest, index, options) -> ImageInventory``,
``match_inventory(inventory, advisories)``, ``purl_of(package, os)``,
``write_cyclonedx(...)``.
"""
