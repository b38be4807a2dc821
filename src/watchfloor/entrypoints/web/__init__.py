"""The ASGI service: JSON API and server-rendered pages."""

#: The most one request may send (all its uploads together), in MiB, unless
#: `watchfloor serve --max-upload-mb` says otherwise (kept here, free of imports,
#: so that the CLI can show it without loading the web stack).
MAX_UPLOAD_MB = 512
