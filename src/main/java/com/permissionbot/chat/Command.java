package com.permissionbot.chat;

import com.permissionbot.domain.IncomingMessage;

/** A message matched to an intent: the message, the intent's name, and what followed the command, as the user typed it. */
public record Command(IncomingMessage message, String intent, String argument) {}
