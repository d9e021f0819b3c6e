package com.permissionbot.feishu;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The platform's JSON: one strict reader and writer for everything that crosses the wire (one value, nothing after it). */
public final class Wire {
    public static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Wire() {}
}
