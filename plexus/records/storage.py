"""Where document bytes live: Django's storage API.

Default: FileSystemStorage under settings.DATA_DIR / "documents" (override the folder with
PLEXUS_DOCUMENTS_DIR). Production may use an S3-compatible bucket with
PLEXUS_DOCUMENTS_STORAGE=s3 and PLEXUS_S3_BUCKET, PLEXUS_S3_ENDPOINT_URL, PLEXUS_S3_REGION,
PLEXUS_S3_ACCESS_KEY_ID, PLEXUS_S3_SECRET_ACCESS_KEY — this needs the django-storages package
(with boto3). It is not installed in this project yet, so asking for s3 without it fails loudly
(ImproperlyConfigured) rather than silently writing PHI to local disk.
"""

from __future__ import annotations

import functools
import importlib.util
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage


def s3_options(env: dict[str, str]) -> dict:
    """The S3Storage options read from env (PLEXUS_S3_*)."""
    bucket = env.get("PLEXUS_S3_BUCKET", "")
    if not bucket:
        raise ImproperlyConfigured("PLEXUS_DOCUMENTS_STORAGE=s3 needs PLEXUS_S3_BUCKET.")
    opts = {"bucket_name": bucket, "default_acl": "private", "querystring_auth": True,
            "file_overwrite": False, "location": env.get("PLEXUS_S3_PREFIX", "documents")}
    for key, name in (("endpoint_url", "PLEXUS_S3_ENDPOINT_URL"), ("region_name", "PLEXUS_S3_REGION"),
                      ("access_key", "PLEXUS_S3_ACCESS_KEY_ID"), ("secret_key", "PLEXUS_S3_SECRET_ACCESS_KEY")):
        if env.get(name):
            opts[key] = env[name]
    return opts


def build_storage(env: dict[str, str] | None = None) -> Storage:
    env = dict(os.environ if env is None else env)
    kind = env.get("PLEXUS_DOCUMENTS_STORAGE", "local").lower()
    if kind == "s3":
        if importlib.util.find_spec("storages") is None:
            raise ImproperlyConfigured("PLEXUS_DOCUMENTS_STORAGE=s3 needs django-storages[s3], which is not installed.")
        from storages.backends.s3 import S3Storage  # pragma: no cover - not installed here

        return S3Storage(**s3_options(env))  # pragma: no cover
    if kind != "local":
        raise ImproperlyConfigured(f"PLEXUS_DOCUMENTS_STORAGE must be 'local' or 's3', not {kind!r}.")
    location = env.get("PLEXUS_DOCUMENTS_DIR") or str(settings.DATA_DIR / "documents")
    return FileSystemStorage(location=location, base_url=None, directory_permissions_mode=0o700,
                             file_permissions_mode=0o600)


@functools.cache
def documents_storage() -> Storage:
    return build_storage()
