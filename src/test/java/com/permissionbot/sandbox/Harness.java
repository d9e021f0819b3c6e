package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.lark.oapi.Client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;

/** An emulator with its own app id, an SDK client pointed at it, and a raw HTTP client for edge cases. */
final class Harness implements AutoCloseable {

    /** A raw response with its parsed body. */
    record Reply(int status, JsonNode body, String logId) {
    }

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final PlatformEmulator emulator;
    final Client client;

    private Harness(EmulatorConfig config) {
        emulator = PlatformEmulator.start(config);
        client = Client.newBuilder(config.appId(), config.appSecret()).openBaseUrl(emulator.baseUrl()).build();
    }

    static Harness start() {
        return start(EmulatorConfig.defaults());
    }

    static Harness start(EmulatorConfig base) {
        String appId = "cli_test" + ProcessHandle.current().pid() + "x" + SEQ.incrementAndGet();
        return new Harness(base.withApp(appId, "secret-" + appId));
    }

    TenantState tenant() {
        return emulator.tenant();
    }

    String token() throws Exception {
        EmulatorConfig c = emulator.config();
        Reply r = call("POST", AuthApi.TENANT_TOKEN,
                "{\"app_id\":\"" + c.appId() + "\",\"app_secret\":\"" + c.appSecret() + "\"}", null);
        return r.body().get("tenant_access_token").asText();
    }

    Reply call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(emulator.baseUrl() + path))
                .header("Content-Type", "application/json; charset=utf-8")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), Envelope.JSON.readTree(r.body()),
                r.headers().firstValue("X-Tt-Logid").orElse(null));
    }

    @Override
    public void close() {
        emulator.close();
    }
}
