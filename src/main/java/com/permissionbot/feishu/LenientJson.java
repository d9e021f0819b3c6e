package com.permissionbot.feishu;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.Map;

/**
 * JSON as people paste it (single quotes, unquoted names, comments, trailing commas, stray control characters), read
 * into plain Java values: maps (in order), lists, strings, numbers, booleans and nulls, so readers need no JSON library.
 */
public final class LenientJson {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES, JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES,
                    JsonReadFeature.ALLOW_TRAILING_COMMA, JsonReadFeature.ALLOW_JAVA_COMMENTS,
                    JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS, JsonReadFeature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER,
                    JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS, JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS)
            .build();

    private LenientJson() {}

    /** The object the text holds, or null when it is not one. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n != null && n.isObject() ? JSON.convertValue(n, Map.class) : null;
        } catch (Exception notJson) {
            return null;
        }
    }
}
