"""Conversation logic: pure functions from an Incoming message to a list of Replies."""
