package com.permissionbot.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.lark.oapi.okhttp.MediaType;
import com.lark.oapi.okhttp.OkHttpClient;
import com.lark.oapi.okhttp.Request;
import com.lark.oapi.okhttp.RequestBody;
import com.lark.oapi.okhttp.Response;
import com.lark.oapi.okhttp.ResponseBody;
import com.lark.oapi.ws.Constant;
import com.permissionbot.feishu.Wire;

import java.io.IOException;

/**
 * The endpoint that hands out the long connection's one-time WebSocket URL and the platform's timing, asked afresh
 * before every (re)connect ({@code getConnUrl} in oapi-sdk-java {@code ws/Client.java}):
 * https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/request-url-configuration-case
 */
final class LongConnectionEndpoint {
    private static final ObjectMapper JSON = Wire.JSON;
    private static final MediaType JSON_TYPE = MediaType.parse("application/json; charset=utf-8");

    /** A URL to connect to, and the ClientConfig that came with it (may be missing or partial). */
    record Answer(String url, JsonNode clientConfig) {}

    /** No URL this time: {@code fatal} when asking again cannot help (the credentials or the app were refused). */
    static final class Refused extends Exception {
        final boolean fatal;

        Refused(String message, boolean fatal) {
            super(message, null, false, false);
            this.fatal = fatal;
        }
    }

    private final OkHttpClient http;
    private final String url;
    private final byte[] body;

    LongConnectionEndpoint(OkHttpClient http, String baseUrl, String appId, String appSecret) {
        this.http = http;
        this.url = baseUrl + Constant.GEN_ENDPOINT_URI;
        // built with Jackson, not the SDK's String.format, so a secret with a quote in it stays valid JSON
        this.body = JSON.createObjectNode().put("AppID", appId).put("AppSecret", appSecret).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Codes 1 (busy) and 1000040343 (internal) and any HTTP or network failure are retried; other codes are fatal. */
    Answer fetch() throws Refused {
        Request req = new Request.Builder().url(url).header("locale", "zh").post(RequestBody.create(JSON_TYPE, body)).build();
        JsonNode json;
        try (Response r = http.newCall(req).execute()) {
            ResponseBody b = r.body();
            if (r.code() != 200 || b == null) throw new Refused("the endpoint answered HTTP " + r.code(), false);
            json = JSON.readTree(b.bytes());
        } catch (IOException e) {
            throw new Refused("the endpoint did not answer (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", false);
        }
        if (json == null || !json.isObject()) throw new Refused("the endpoint's answer is not a JSON object", false);
        int code = json.path("code").asInt(-1);
        String msg = json.path("msg").asText("");
        if (code == Constant.SYSTEM_BUSY || code == Constant.INTERNAL_ERROR) {
            throw new Refused("the endpoint answered code " + code + " (" + msg + ")", false);
        }
        if (code != Constant.OK) {
            throw new Refused("the endpoint refused the app with code " + code + " (" + msg + "): check FEISHU_APP_ID and "
                    + "FEISHU_APP_SECRET, and that the app is a self-built app (企业自建应用), the only kind the long connection serves", true);
        }
        String wss = json.path("data").path("URL").asText("");
        if (wss.isEmpty()) throw new Refused("the endpoint's answer has no URL", false);
        return new Answer(wss, json.path("data").path("ClientConfig"));
    }
}
