"""Public entry point for reply handlers (see registry.py): scheduling registers its C / X handler
here in ``SchedulingConfig.ready()``."""

from plexus.messaging.registry import ReplyOutcome, dispatch_reply, register_reply_handler

__all__ = ["ReplyOutcome", "dispatch_reply", "register_reply_handler"]
