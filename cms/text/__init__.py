"""Pure text helpers: Markdown rendering and sanitising, slugs, excerpts."""
