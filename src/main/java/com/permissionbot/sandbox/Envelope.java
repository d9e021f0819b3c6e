package com.permissionbot.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** JSON bodies and log ids in the Open Platform's envelope; see https://open.feishu.cn/document/server-docs/api-call-guide/calling-process/get- */
final class Envelope {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOG_ID_HEADER = "X-Tt-Logid";
    static final String LOG_ID_ATTR = "sandbox.logid";

    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneId.of("Asia/Shanghai"));

    private Envelope() {
    }

    static String newLogId(Clock clock) {
        byte[] random = new byte[9];
        ThreadLocalRandom.current().nextBytes(random);
        return STAMP.format(clock.instant()) + HexFormat.of().withUpperCase().formatHex(random).substring(1);
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static void success(Context ctx, JsonNode data) {
        ObjectNode body = object().put("code", 0).put("msg", "success");
        body.set("data", data == null ? object() : data);
        write(ctx, 200, body);
    }

    static void topLevel(Context ctx, ObjectNode body) {
        write(ctx, 200, body);
    }

    static void error(Context ctx, ApiException e) {
        e.headers.forEach(ctx::header);
        ObjectNode error = e.error == null ? object() : e.error.deepCopy();
        error.put("log_id", logId(ctx));
        ObjectNode body = object().put("code", e.code).put("msg", e.getMessage());
        body.set("error", error);
        write(ctx, e.status, body);
    }

    static void notFound(Context ctx) {
        write(ctx, 404, object().put("code", 404).put("msg", "404 page not found"));
    }

    static String logId(Context ctx) {
        String id = ctx.attribute(LOG_ID_ATTR);
        return id == null ? "" : id;
    }

    static JsonNode body(Context ctx) {
        String raw = ctx.body();
        if (raw.isBlank()) {
            return object();
        }
        try {
            return JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            throw ApiException.bad(9499, "Bad Request");
        }
    }

    private static void write(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType("application/json; charset=utf-8").result(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
