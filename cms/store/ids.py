"""Document ids: ObjectId-shaped strings.

Ids are stored as the 24-hex-digit string of a fresh ObjectId, in ``_id`` and
in every reference (``site_id``, ``author_id``, ``user_id``). Strings are as
good a key as ObjectIds to MongoDB, read well in URLs, and sidestep a gap of
the embedded server: nx-27017 0.8 does not match an equality filter on an
ObjectId stored outside ``_id`` (``{"site_id": ObjectId(...)}`` finds nothing,
where MongoDB finds the documents). tests/http/test_embedded_database.py
pins that difference down.
"""

from bson import ObjectId


def new_id() -> str:
    return str(ObjectId())
