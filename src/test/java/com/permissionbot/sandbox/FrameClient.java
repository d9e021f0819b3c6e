package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.lark.oapi.google.protobuf.ByteString;
import com.lark.oapi.ws.pb.Pbbp2;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A tiny long-connection client for tests: the JDK's WebSocket carrying the SDK's own {@code Pbbp2} frames, with
 * every step in the test's hands (when to ping, whether and how to ack, how to close).
 */
final class FrameClient implements AutoCloseable {

    /** The endpoint's answer: its code and message, and on success the URL and the ClientConfig. */
    record Endpoint(int code, String msg, String url, JsonNode clientConfig) {
    }

    /** A refused handshake: the HTTP status and the three handshake headers. */
    record Refused(int status, String handshakeStatus, String msg, String authErrCode) {
    }

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String url;
    final WebSocket socket;
    final BlockingQueue<Pbbp2.Frame> frames = new LinkedBlockingQueue<>();
    /** Completes with the close code; the JDK reports 1006 when the TCP connection closed with no close frame. */
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** Completes when the connection fails otherwise. */
    final CompletableFuture<Throwable> failure = new CompletableFuture<>();

    private FrameClient(String url, WebSocket.Builder b) {
        this.url = url;
        this.socket = b.buildAsync(URI.create(url), new Listener()).join();
    }

    static Endpoint endpoint(String base, String appId, String secret) throws Exception {
        String body = Envelope.object().put("AppID", appId).put("AppSecret", secret).toString();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + LongConnectionGateway.ENDPOINT))
                .header("locale", "zh").header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = Envelope.JSON.readTree(r.body());
        return new Endpoint(json.path("code").asInt(-1), json.path("msg").asText(), json.path("data").path("URL").asText(null),
                json.path("data").path("ClientConfig"));
    }

    /** Asks the endpoint for a URL and connects to it. */
    static FrameClient connect(PlatformEmulator p) throws Exception {
        Endpoint e = endpoint(p.baseUrl(), p.config().appId(), p.config().appSecret());
        if (e.code() != 0) throw new IllegalStateException("endpoint answered " + e);
        return open(e.url());
    }

    static FrameClient open(String url) {
        return new FrameClient(url, HTTP.newWebSocketBuilder());
    }

    /** Connects to {@code url} expecting a refusal, and returns it. */
    static Refused refusedAt(String url) {
        try {
            open(url).close();
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                HttpResponse<?> r = h.getResponse();
                return new Refused(r.statusCode(), r.headers().firstValue("handshake-status").orElse(null),
                        r.headers().firstValue("handshake-msg").orElse(null),
                        r.headers().firstValue("handshake-autherrcode").orElse(null));
            }
            throw e;
        }
        throw new AssertionError("the handshake at " + url + " was accepted");
    }

    String connectionId() {
        return URI.create(url).getQuery().replaceAll(".*device_id=([^&]+).*", "$1");
    }

    int serviceId() {
        return Integer.parseInt(URI.create(url).getQuery().replaceAll(".*service_id=([^&]+).*", "$1"));
    }

    void ping() {
        send(Pbbp2.Frame.newBuilder().setSeqID(0).setLogID(0).setService(serviceId()).setMethod(0)
                .addHeaders(Frames.header("type", "ping")).build());
    }

    /** Acks a data frame as the SDK does: the frame back with {@code biz_rt} and {@code {"code":…,"data":base64}}. */
    void ack(Pbbp2.Frame f, int code, String dataJson) {
        var payload = Envelope.object().put("code", code);
        if (dataJson != null) {
            payload.put("data", Base64.getEncoder().encodeToString(dataJson.getBytes(StandardCharsets.UTF_8)));
        }
        send(f.toBuilder().setPayload(ByteString.copyFromUtf8(payload.toString()))
                .addHeaders(Frames.header("biz_rt", "1")).build());
    }

    void send(Pbbp2.Frame f) {
        socket.sendBinary(ByteBuffer.wrap(f.toByteArray()), true).join();
    }

    Pbbp2.Frame await(Predicate<Pbbp2.Frame> what, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            Pbbp2.Frame f = frames.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (f == null) throw new AssertionError("no such frame within " + timeout);
            if (what.test(f)) return f;
        }
    }

    /** The next data frame. */
    Pbbp2.Frame awaitData(Duration timeout) throws InterruptedException {
        return await(f -> f.getMethod() == 1, timeout);
    }

    /** No frame of this kind arrives within {@code d}. */
    boolean quietFor(Predicate<Pbbp2.Frame> what, Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            Pbbp2.Frame f = frames.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (f != null && what.test(f)) return false;
        }
        return true;
    }

    static String header(Pbbp2.Frame f, String key) {
        return Frames.header(f, key);
    }

    static JsonNode json(Pbbp2.Frame f) throws Exception {
        return Envelope.JSON.readTree(f.getPayload().toStringUtf8());
    }

    static JsonNode json(List<Pbbp2.Frame> parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Pbbp2.Frame f : parts) out.write(f.getPayload().toByteArray());
        return Envelope.JSON.readTree(out.toString(StandardCharsets.UTF_8));
    }

    /** Closes abruptly (no close frame). */
    void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").handle((x, e) -> null);
        }
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            buffer.write(b, 0, b.length);
            if (last) {
                try {
                    frames.add(Pbbp2.Frame.parseFrom(buffer.toByteArray()));
                } catch (Exception e) {
                    failure.complete(e);
                }
                buffer.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            failure.complete(error);
        }
    }
}
