"""Live updates pushed to readers: "N new posts" on lists, new comments under a post.

Readers' pages open a WebSocket to ``/live`` on their site's host and name the
channels they follow (`handlers.LiveSocket`); where WebSockets are blocked they
poll ``/live.json`` (`handlers.LiveJSON`). Events come from the database
(`cms.store.events`), read by one poll per process (`hub.Hub`), so a post
published through any process reaches the readers of every process.
"""
