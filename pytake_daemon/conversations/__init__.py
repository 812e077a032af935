"""Conversations and their messages as the inbox reads them: lists with filters and search,
one thread's messages, marking read and changing status (``/api/v1/conversations``)."""
